from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from broadsheet.readers import identity

HANDLE_PATTERN = r"^[A-Za-z0-9_-]{3,30}$"

handle_validator = RegexValidator(
    HANDLE_PATTERN,
    _("A handle is 3 to 30 characters: Latin letters, digits, “-” and “_”."),
    code="invalid_handle",
)


def validate_handle_is_no_lookalike(handle: str) -> None:
    """Refuse a handle that looks like another reader's (“kestreI-7” beside “kestrel-7”).

    A validator of the model field, so the admin's forms and `createsuperuser` ask
    it too (the sign-up form asks in the same query as its own uniqueness check).
    The same handle in another letter case is left to the case-insensitive unique
    constraint, which also keeps an unchanged handle from clashing with itself.
    """
    skeleton = identity.handle_skeleton(handle)
    others = Reader.objects.filter(handle_skeleton=skeleton).exclude(handle__iexact=handle)
    if others.exists():
        raise ValidationError(
            _("This handle looks too much like another reader's. Please choose another."),
            code="lookalike_handle",
        )


class ReaderQuerySet(models.QuerySet):
    def by_handle(self, handle: str) -> "ReaderQuerySet":
        return self.filter(handle__iexact=handle)

    def may_receive_email(self) -> "ReaderQuerySet":
        """Readers the site may send mail of its own accord (notifications): an active
        account whose current address is not empty and was verified."""
        return self.filter(is_active=True, email_verified_at__isnull=False).exclude(email="")


class ReaderManager(BaseUserManager.from_queryset(ReaderQuerySet)):
    use_in_migrations = True

    def get_by_natural_key(self, handle: str) -> "Reader":
        return self.get(handle__iexact=handle)

    def create_user(
        self, handle: str, email: str, password: str | None = None, **fields
    ) -> "Reader":
        reader = self.model(handle=handle, email=self.normalize_email(email), **fields)
        reader.set_password(password)
        reader.save(using=self._db)
        return reader

    def create_superuser(
        self, handle: str, email: str, password: str | None = None, **fields
    ) -> "Reader":
        fields.setdefault("is_staff", True)
        fields.setdefault("is_superuser", True)
        fields.setdefault("display_name", handle)
        # The operator typed this address into `broadsheet createsuperuser` on the
        # server itself: it is taken as verified (nobody else could have given it).
        if email:
            fields.setdefault("email_verified_at", timezone.now())
        return self.create_user(handle, email, password, **fields)


class Reader(AbstractBaseUser, PermissionsMixin):
    """Anyone with an account: readers, and the moderators and editors among them."""

    handle = models.CharField(
        _("handle"),
        max_length=30,
        validators=[handle_validator, validate_handle_is_no_lookalike],
        help_text=_(
            "3 to 30 characters: Latin letters, digits, “-” and “_”. Shown on every comment."
        ),
    )
    # The handle's look-alike skeleton (readers.identity.handle_skeleton), kept by
    # save() and unique in the database: two sign-ups racing for “kestrel-7” and
    # “kestreI-7” cannot both win. Up to twice the handle's length ("m" → "rn").
    handle_skeleton = models.CharField(max_length=60, editable=False)
    display_name = models.CharField(_("display name"), max_length=64)
    # The address the site writes to, signs in by and resets passwords through.
    email = models.EmailField(_("email"), max_length=254)
    # When `email` was shown to be the reader's (they opened a link sent to it);
    # None: not verified. Only verified addresses get notifications.
    email_verified_at = models.DateTimeField(_("email verified at"), null=True, blank=True)
    # A new address the reader asked for, waiting for its link to be opened: until
    # then `email` stays in use, so a typo or a stolen session cannot move the
    # account to an address its owner never had (readers.operations.request_email_change).
    pending_email = models.EmailField(_("new email, not yet verified"), max_length=254, blank=True)
    pending_email_since = models.DateTimeField(null=True, blank=True, editable=False)
    is_staff = models.BooleanField(_("staff status"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("joined"), default=timezone.now)
    # Written at most once a minute per reader (see PresenceMiddleware), so that
    # presence costs no write on ordinary requests.
    last_seen_at = models.DateTimeField(_("last seen"), null=True, blank=True)
    # When a live connection of theirs last checked in (at most once a minute).
    last_connected_at = models.DateTimeField(_("last connected"), null=True, blank=True)
    # The reader asked never to be shown as Online.
    appear_offline = models.BooleanField(_("appear offline"), default=False)
    # A suspended reader reads but cannot post or vote until then; a banned one, ever.
    suspended_until = models.DateTimeField(_("suspended until"), null=True, blank=True)
    banned_at = models.DateTimeField(_("banned at"), null=True, blank=True)
    # The sum of the votes on this reader's comments, kept by vote_on_comment.
    rating = models.IntegerField(_("rating"), default=0)
    # The author of comments imported from another system ("disqus", "wxr", "isso",
    # "remark42"); empty for accounts made here. Such an account has no password
    # and no address: it waits to be claimed (below) or stays a name on old comments.
    imported_from = models.CharField(max_length=20, blank=True, default="", editable=False)
    # SHA-256 of the address the other system knew (trimmed, lower-cased), kept
    # instead of the address until a reader who verifies that address claims the
    # comments (integrations.importing.operations.claim_imported_comments).
    claim_email_hash = models.CharField(max_length=64, blank=True, default="", editable=False)
    # A named guest of another system: no account there, so nobody can ever claim it.
    is_guest = models.BooleanField(_("guest"), default=False, editable=False)
    # Sessions the reader ended from another device that have not come back since:
    # SHA-256 of the session key -> when the session would expire anyway (epoch
    # seconds). Checked on every signed-in request at no cost (this row is loaded
    # anyway); the ended session is signed out on its next request and dropped
    # from here (readers.operations.check_session_still_open).
    ended_sessions = models.JSONField(default=dict, blank=True, editable=False)
    # The reader asked for their account to be deleted: it is erased at
    # deletion_due_at unless they sign in again before (which cancels it).
    deletion_requested_at = models.DateTimeField(null=True, blank=True, editable=False)
    deletion_due_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The account was erased: the row stays only because comments keep their
    # numbers and places (it carries no name, address or password any more).
    erased_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The newsroom's id for this reader (the `sub` of its single sign-on tokens),
    # empty for accounts made here: later sign-ins find the reader by it, whatever
    # handle or address the newsroom sends then (readers.operations.sign_in_with_sso).
    sso_subject = models.CharField(
        _("single sign-on subject"), max_length=255, blank=True, default="", editable=False
    )

    objects = ReaderManager()

    USERNAME_FIELD = "handle"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["email"]

    class Meta:
        verbose_name = _("reader")
        verbose_name_plural = _("readers")
        constraints = [
            # "Kestrel-7" and "kestrel-7" are one handle: enforced by the database,
            # so two sign-ups racing for it cannot both win.
            models.UniqueConstraint(Lower("handle"), name="reader_handle_unique_ci"),
            # Imported authors have no address: only addresses that exist are unique.
            models.UniqueConstraint(
                Lower("email"), name="reader_email_unique_ci", condition=~models.Q(email="")
            ),
            models.UniqueConstraint(
                fields=["handle_skeleton"], name="reader_handle_skeleton_unique"
            ),
            # One account per newsroom reader, even when two first sign-ins race.
            models.UniqueConstraint(
                fields=["sso_subject"],
                name="reader_sso_subject_unique",
                condition=~models.Q(sso_subject=""),
            ),
        ]
        indexes = [
            models.Index(
                fields=["claim_email_hash"],
                name="reader_claimable",
                condition=~models.Q(claim_email_hash=""),
            ),
            models.Index(
                fields=["deletion_due_at"],
                name="reader_deletion_due",
                condition=models.Q(deletion_due_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.handle

    def save(self, *args, **kwargs):
        # A derived column, not a side effect: whichever door changes the handle
        # (sign-up, the admin, createsuperuser), its skeleton changes with it.
        # (A "#id" suffix marks a look-alike that predates the rule; see migration 0005.)
        skeleton = identity.handle_skeleton(self.handle)
        if self.handle_skeleton.partition("#")[0] != skeleton:
            self.handle_skeleton = skeleton
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "handle" in update_fields:
            kwargs["update_fields"] = {*update_fields, "handle_skeleton"}
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("readers:profile", kwargs={"handle": self.handle})

    def get_full_name(self) -> str:
        return self.display_name

    def get_short_name(self) -> str:
        return self.handle

    @property
    def is_banned(self) -> bool:
        return self.banned_at is not None

    @property
    def email_is_verified(self) -> bool:
        return self.email_verified_at is not None and bool(self.email)

    @property
    def may_receive_email(self) -> bool:
        """The one-reader form of ReaderQuerySet.may_receive_email."""
        return self.is_active and self.email_is_verified

    @property
    def must_verify_email_to_take_part(self) -> bool:
        """Whether this reader may read but not post, reply or vote until their address
        is verified (only when BROADSHEET_UNVERIFIED_MAY_COMMENT is off)."""
        return not settings.BROADSHEET_UNVERIFIED_MAY_COMMENT and not self.email_is_verified

    @property
    def is_suspended(self) -> bool:
        return self.suspended_until is not None and self.suspended_until > timezone.now()

    @property
    def presence_seconds_left(self) -> int:
        """How much longer this reader counts as Online without news of them (0: Offline)."""
        if self.appear_offline:
            return 0
        times = [t for t in (self.last_seen_at, self.last_connected_at) if t is not None]
        if not times:
            return 0
        window = timedelta(seconds=settings.BROADSHEET_ONLINE_WINDOW_SECONDS)
        left = (max(times) + window - timezone.now()).total_seconds()
        return max(0, int(left + 0.999))

    @property
    def is_online(self) -> bool:
        return self.presence_seconds_left > 0


class ReplyFeedKey(models.Model):
    """The key of a reader's private "replies to me" feed, at most one per reader.

    Only a random id is stored. The address also carries an HMAC of that id under
    the site's SECRET_KEY (readers.access), never stored: the reader can see the
    address again at any time, while a copy of the database alone opens no feed.
    Deleting the row (or making a new one) is revoking the address.
    """

    reader = models.OneToOneField(
        Reader, on_delete=models.CASCADE, primary_key=True, related_name="reply_feed_key"
    )
    key_id = models.CharField(max_length=32, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("replies feed key")
        verbose_name_plural = _("replies feed keys")

    def __str__(self) -> str:
        return f"replies feed of {self.reader_id}"


class ApiTokenScope(models.TextChoices):
    """What a personal API token may do; each scope includes the ones before it."""

    READ = "read", _("read")
    WRITE = "write", _("read and write")
    MODERATE = "moderate", _("read, write and moderate")


SCOPE_RANK = {ApiTokenScope.READ: 0, ApiTokenScope.WRITE: 1, ApiTokenScope.MODERATE: 2}


class ApiToken(models.Model):
    """A reader's personal token for scripts, apps and the embedded discussion.

    Only the SHA-256 of the token is stored: the token is 32 random bytes, so a
    fast hash is enough (no password-style stretching), and a copy of the database
    alone authenticates nobody. `prefix` (the first characters, not secret enough
    to matter) lets the reader tell their tokens apart. A token with `expires_at`
    is short-lived (the embed's sign-in window makes those).
    """

    reader = models.ForeignKey(Reader, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=80)
    scope = models.CharField(
        _("scope"), max_length=10, choices=ApiTokenScope.choices, default=ApiTokenScope.READ
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(max_length=12, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        indexes = [models.Index(fields=["reader", "-created_at"], name="apitoken_reader_idx")]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name})"

    def allows(self, scope: str) -> bool:
        return SCOPE_RANK[ApiTokenScope(self.scope)] >= SCOPE_RANK[ApiTokenScope(scope)]


class ReaderSession(models.Model):
    """One signed-in browser of a reader, for the reader's list of their sessions.

    Keyed by the SHA-256 of the session key: the key itself opens the account, so
    neither this table nor the pages that name a session (to end it) carry it.
    Written when the reader signs in and then at most once a minute
    (BROADSHEET_SESSION_TOUCH_SECONDS), never on every request.
    """

    key_hash = models.CharField(max_length=64, primary_key=True)
    reader = models.ForeignKey(Reader, on_delete=models.CASCADE, related_name="sessions")
    created_at = models.DateTimeField(default=timezone.now)
    last_active_at = models.DateTimeField(default=timezone.now)
    # What the browser said it is (bounded) and what the parser made of it.
    user_agent = models.CharField(max_length=300, blank=True, default="")
    browser = models.CharField(max_length=80, blank=True, default="")
    system = models.CharField(max_length=80, blank=True, default="")
    # The address's network (/24 for IPv4, /48 for IPv6), never the address.
    network = models.CharField(max_length=50, blank=True, default="")

    class Meta:
        indexes = [models.Index(fields=["reader", "-last_active_at"], name="session_by_reader")]

    def __str__(self) -> str:
        return f"session of {self.reader_id} ({self.browser}, {self.system})"


class SignInRecord(models.Model):
    """One sign-in, or failed attempt, on a reader's account; kept
    BROADSHEET_SIGN_IN_HISTORY_DAYS so the reader can spot one that was not theirs."""

    reader = models.ForeignKey(Reader, on_delete=models.CASCADE, related_name="sign_ins")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    succeeded = models.BooleanField()
    browser = models.CharField(max_length=80, blank=True, default="")
    system = models.CharField(max_length=80, blank=True, default="")
    network = models.CharField(max_length=50, blank=True, default="")

    class Meta:
        indexes = [models.Index(fields=["reader", "-created_at"], name="sign_in_by_reader")]

    def __str__(self) -> str:
        return f"sign-in of {self.reader_id} at {self.created_at:%Y-%m-%d %H:%M}"


class DataExport(models.Model):
    """A reader's "Download my data": made by a background task, offered until
    `expires_at`, then deleted with its file."""

    class Status(models.TextChoices):
        WAITING = "waiting", _("Being prepared")
        READY = "ready", _("Ready")

    reader = models.ForeignKey(Reader, on_delete=models.CASCADE, related_name="data_exports")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.WAITING)
    requested_at = models.DateTimeField(default=timezone.now)
    ready_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()
    # A random name under the data folder's exports/ (never derived from the reader).
    file_name = models.CharField(max_length=80, blank=True, default="")

    class Meta:
        indexes = [models.Index(fields=["expires_at"], name="data_export_expiry")]

    def __str__(self) -> str:
        return f"data export {self.pk} of {self.reader_id}"


class UsedSsoToken(models.Model):
    """A single sign-on token that has signed someone in, kept until it expires so
    that it cannot sign anyone in again (readers.sso.SsoClaims.token_id: its `jti`,
    or a hash of what it signs). Rows past `expires_at` are swept by the next sign-in.
    """

    token_id = models.CharField(max_length=64, primary_key=True)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("used single sign-on token")
        verbose_name_plural = _("used single sign-on tokens")

    def __str__(self) -> str:
        return f"{self.token_id[:12]}… until {self.expires_at:%Y-%m-%d %H:%M}"


# --- Second factors (docs/mfa.md, docs/adr/0018-staff-mfa.md) --------------------


class Passkey(models.Model):
    """A WebAuthn credential a reader registered: a passkey or a security key.

    Only its public key is stored; the private key never leaves the authenticator.
    `sign_count` is the authenticator's counter, kept to notice a cloned key.
    """

    reader = models.ForeignKey(Reader, on_delete=models.CASCADE, related_name="passkeys")
    name = models.CharField(_("name"), max_length=64)
    # base64url of the credential id (at most 1023 bytes by the specification).
    credential_id = models.CharField(max_length=1400, unique=True, editable=False)
    public_key = models.BinaryField(editable=False)
    sign_count = models.PositiveBigIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(_("added"), default=timezone.now)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        verbose_name = _("passkey")
        verbose_name_plural = _("passkeys")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.name


class TotpDevice(models.Model):
    """A reader's authenticator app (RFC 6238 one-time codes), made when its first
    code is confirmed; until then the secret lives only in the session.

    `last_used_step` is the 30-second step of the last code accepted: a code is
    taken only for a later step, so a code seen over a shoulder cannot be reused.
    """

    reader = models.OneToOneField(Reader, on_delete=models.CASCADE, related_name="totp_device")
    secret = models.CharField(max_length=64, editable=False)
    last_used_step = models.BigIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(_("added"), default=timezone.now)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        verbose_name = _("authenticator app")
        verbose_name_plural = _("authenticator apps")

    def __str__(self) -> str:
        return f"TOTP ({self.reader_id})"


class RecoveryCode(models.Model):
    """One single-use recovery code, stored as an HMAC of the code (never the code)."""

    reader = models.ForeignKey(Reader, on_delete=models.CASCADE, related_name="recovery_codes")
    code_hash = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["reader", "code_hash"], name="recoverycode_reader_hash_unique"
            )
        ]

    def __str__(self) -> str:
        return f"recovery code ({self.reader_id})"
