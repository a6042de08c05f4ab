from django import forms
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from broadsheet.readers import identity
from broadsheet.readers.emails import send_account_email_later, send_password_reset_email
from broadsheet.readers.identity import clean_display_name
from broadsheet.readers.models import ApiTokenScope, Reader, handle_validator


class SignUpForm(forms.Form):
    handle = forms.CharField(
        label=_("Handle"),
        max_length=30,
        validators=[handle_validator],
        help_text=_(
            "3 to 30 characters: Latin letters, digits, “-” and “_”. Shown on every comment."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"}),
    )
    display_name = forms.CharField(
        label=_("Display name"),
        max_length=64,
        help_text=_("Your name as other readers see it, up to 64 characters."),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    email = forms.EmailField(
        label=_("Email"),
        max_length=254,
        help_text=_("Never shown. Used to reset your password."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 8 characters, not a common password."),
    )

    def clean_handle(self) -> str:
        # Handles are public, so saying one is taken tells nobody anything new.
        handle = self.cleaned_data["handle"].strip()
        if identity.is_reserved_handle(handle):
            raise forms.ValidationError(
                _("This handle is reserved. Please choose another."), code="reserved_handle"
            )
        skeleton = identity.handle_skeleton(handle)
        clash = (
            Reader.objects.filter(Q(handle__iexact=handle) | Q(handle_skeleton=skeleton))
            .values_list("handle", flat=True)
            .first()
        )
        if clash is not None and clash.lower() == handle.lower():
            raise forms.ValidationError(_("This handle is taken. Please choose another."))
        if clash is not None:
            raise forms.ValidationError(
                _("This handle looks too much like another reader's. Please choose another."),
                code="lookalike_handle",
            )
        return handle

    def clean_display_name(self) -> str:
        display_name = identity.clean_display_name(self.cleaned_data["display_name"])
        if not display_name:
            raise forms.ValidationError(_("Please enter a display name."))
        return display_name

    # No clean_email that refuses an address already in use: that would tell anyone
    # whose address has an account here. The sign-up view handles it instead.
    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip()

    def clean(self):
        cleaned = super().clean()
        password = cleaned.get("password")
        if password:
            candidate = Reader(
                handle=cleaned.get("handle", ""),
                display_name=cleaned.get("display_name", ""),
                email=cleaned.get("email", ""),
            )
            try:
                password_validation.validate_password(password, candidate)
            except forms.ValidationError as error:
                self.add_error("password", error)
        return cleaned


class SignInForm(AuthenticationForm):
    username = forms.CharField(
        label=_("Handle or email"),
        max_length=254,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )
    error_messages = {
        "invalid_login": _("That handle or email and password do not match an account."),
        "inactive": _("This account is inactive."),
    }


class EmailChangeForm(forms.Form):
    """A reader's own change of address. The current password is asked for (when the
    account has one), so that someone in a borrowed or stolen session cannot move
    the account, and with it its password resets, to an address of theirs."""

    new_email = forms.EmailField(
        label=_("New email"),
        max_length=254,
        help_text=_("We send a link to it; your current address stays in use until you open it."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    password = forms.CharField(
        label=_("Current password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, reader: Reader, **kwargs):
        super().__init__(*args, **kwargs)
        self.reader = reader
        if not reader.has_usable_password():
            del self.fields["password"]

    def clean_new_email(self) -> str:
        email = Reader.objects.normalize_email(self.cleaned_data["new_email"].strip())
        if email.lower() == self.reader.email.lower():
            raise forms.ValidationError(
                _("This is the address your account uses already."), code="same_email"
            )
        return email

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.reader.check_password(password):
            raise forms.ValidationError(
                _("That is not your current password."), code="wrong_password"
            )
        return password


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Django's, with the mail sent by the worker. Only the reader's id and the
    site's address are queued: the one-time link is made in the worker, as the
    mail goes out, so it is never stored in the task table."""

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        site_url = f"{context['protocol']}://{context['domain']}"
        send_account_email_later(send_password_reset_email, context["user"].pk, site_url)


class AccountDeletionForm(forms.Form):
    """ "Delete my account": the current password, so a borrowed or stolen session
    cannot delete the account. An account without a password (single sign-on)
    must have signed in within RECENT_SIGN_IN instead (the view checks)."""

    password = forms.CharField(
        label=_("Current password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, reader: Reader, **kwargs):
        super().__init__(*args, **kwargs)
        self.reader = reader
        if not reader.has_usable_password():
            del self.fields["password"]

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.reader.check_password(password):
            raise forms.ValidationError(
                _("That is not your current password."), code="wrong_password"
            )
        return password


class ApiTokenForm(forms.Form):
    """A new personal API token: what it is for, and what it may do."""

    name = forms.CharField(
        label=_("Token name"),
        max_length=80,
        help_text=_("What the token is for, so you can tell your tokens apart."),
    )
    scope = forms.ChoiceField(label=_("Scope"), choices=())

    def __init__(self, *args, may_moderate: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        # A token never grants more than its reader has: moderate only to moderators.
        self.fields["scope"].choices = [
            (value, label)
            for value, label in ApiTokenScope.choices
            if value != ApiTokenScope.MODERATE or may_moderate
        ]

    def clean_name(self) -> str:
        name = clean_display_name(self.cleaned_data["name"])
        if not name:
            raise forms.ValidationError(_("Give the token a name."))
        return name


class SecondStepForm(forms.Form):
    """The second step of signing in: a code from the reader's app, or a recovery code."""

    code = forms.CharField(
        label=_("6-digit code or recovery code"),
        max_length=32,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "autocapitalize": "none",
                "autofocus": True,
                "spellcheck": "false",
            }
        ),
    )


class TotpConfirmForm(forms.Form):
    code = forms.CharField(
        label=_("6-digit code"),
        max_length=32,
        help_text=_("The code your authenticator app shows now."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class PasskeyNameForm(forms.Form):
    name = forms.CharField(
        label=_("Passkey name"),
        max_length=64,
        help_text=_("So you can tell your passkeys apart, say “Laptop” or “Phone”."),
    )

    def clean_name(self) -> str:
        name = identity.clean_display_name(self.cleaned_data["name"])
        if not name:
            raise forms.ValidationError(_("Please give the passkey a name."))
        return name
