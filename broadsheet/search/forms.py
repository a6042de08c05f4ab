from django import forms
from django.conf import settings
from django.core.validators import MaxLengthValidator, MaxValueValidator
from django.utils.translation import gettext_lazy as _

from broadsheet.search.queries import SearchFilters


class SearchForm(forms.Form):
    """What /search/ reads from its query string; everything bounded, nothing trusted."""

    q = forms.CharField(label=_("Search for"), required=False, strip=True)
    article = forms.SlugField(label=_("Article (its address name)"), required=False, max_length=120)
    author = forms.CharField(label=_("Author (handle)"), required=False, max_length=150)
    since = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    language = forms.ChoiceField(
        label=_("Language"),
        required=False,
        choices=[("", _("Any language"))] + [(code, name) for code, name in settings.LANGUAGES],
    )
    page = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Read when the form is made, so a changed setting (and a test) holds at once.
        limit = settings.BROADSHEET_SEARCH_MAX_QUERY_LENGTH
        self.fields["q"].validators.append(MaxLengthValidator(limit))
        self.fields["q"].widget.attrs["maxlength"] = str(limit)
        self.fields["page"].validators.append(
            MaxValueValidator(settings.BROADSHEET_SEARCH_MAX_PAGES)
        )

    def clean(self):
        cleaned = super().clean()
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and since > until:
            self.add_error("until", _("The end of the date range comes before its start."))
        return cleaned

    @property
    def filters(self) -> SearchFilters:
        data = self.cleaned_data
        return SearchFilters(
            article_slug=data.get("article") or "",
            author_handle=data.get("author") or "",
            since=data.get("since"),
            until=data.get("until"),
            language=data.get("language") or "",
        )

    @property
    def has_filters(self) -> bool:
        return any(
            self.data.get(name) for name in ("article", "author", "since", "until", "language")
        )
