import uuid

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from broadsheet.discussion.operations import CommentRejected, validate_comment_body
from broadsheet.discussion.quotes import QUOTE_MAX_LENGTH


class CommentForm(forms.Form):
    body = forms.CharField(
        label=_("Comment"),
        strip=False,
        required=False,  # emptiness gets our own message, from validate_comment_body
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_(
            "Markdown: *emphasis*, [links](https://…), “> ” to quote "
            "(“> [Source](https://…): …” names the source), @handle, #number, "
            "and emoticons such as :smile: :wink: :laugh: :sad:."
        ),
    )
    # The language the comment is written in: the page's edition's, unless the
    # reader says otherwise (what other editions' readers see it labelled with).
    language = forms.ChoiceField(label=_("Written in"), choices=settings.LANGUAGES, required=False)
    submission_key = forms.UUIDField(widget=forms.HiddenInput, required=False)
    # A field people never see or fill: bots that fill every field give themselves away.
    website = forms.CharField(required=False, max_length=200)
    parent = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)
    # Filled by the page's script when a reader quotes a selected passage.
    quote_anchor = forms.CharField(widget=forms.HiddenInput, required=False, max_length=40)
    quote_text = forms.CharField(
        widget=forms.HiddenInput, required=False, max_length=QUOTE_MAX_LENGTH * 2
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        limit = settings.BROADSHEET_COMMENT_MAX_LENGTH
        # The browser stops typing at the limit; the server still checks it.
        self.fields["body"].widget.attrs["maxlength"] = limit
        if not self.is_bound:
            self.initial.setdefault("submission_key", uuid.uuid4())

    def clean_body(self) -> str:
        try:
            return validate_comment_body(self.cleaned_data.get("body") or "")
        except CommentRejected as error:
            raise forms.ValidationError(str(error)) from error

    def clean_website(self) -> str:
        if self.cleaned_data.get("website"):
            raise forms.ValidationError(_("This comment looks automated and was not posted."))
        return ""


class EditCommentForm(forms.Form):
    body = forms.CharField(label=_("Comment"), strip=False, required=False, widget=forms.Textarea)

    def clean_body(self) -> str:
        try:
            return validate_comment_body(self.cleaned_data.get("body") or "")
        except CommentRejected as error:
            raise forms.ValidationError(str(error)) from error
