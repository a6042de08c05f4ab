from django import forms
from django.utils.translation import gettext_lazy as _

from broadsheet.moderation.models import Report


class ReportForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("Why should a moderator look at this comment?"),
        choices=Report.Reason.choices,
        widget=forms.RadioSelect,
    )
    text = forms.CharField(
        label=_("Details (optional)"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The author is never told who reported the comment."),
    )


REJECT_REASONS = [
    ("Breaks the discussion rules", _("Breaks the discussion rules")),
    ("Spam", _("Spam")),
    ("Abuse or insults", _("Abuse or insults")),
    ("Off topic", _("Off topic")),
]
