from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from broadsheet.notifications.models import Cadence, Kind


class NotificationSettingsForm(forms.Form):
    site_kinds = forms.MultipleChoiceField(
        label=_("On this site"),
        choices=Kind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    email_kinds = forms.MultipleChoiceField(
        label=_("By e-mail"),
        choices=Kind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    cadence = forms.ChoiceField(
        label=_("When e-mail is sent"), choices=Cadence.choices, widget=forms.RadioSelect
    )
    language = forms.ChoiceField(label=_("Language of e-mail"), choices=settings.LANGUAGES)


class SeenOnPageForm(forms.Form):
    """What an open page says it showed: an article and comment numbers."""

    article = forms.IntegerField(min_value=1)
    numbers = forms.CharField(max_length=800)

    def clean_numbers(self) -> list[int]:
        parts = [p for p in self.cleaned_data["numbers"].split(",") if p.strip()]
        if not parts or len(parts) > 100:
            raise forms.ValidationError(_("Give between 1 and 100 comment numbers."))
        try:
            return [int(p) for p in parts]
        except ValueError as error:
            raise forms.ValidationError(_("Comment numbers are whole numbers.")) from error
