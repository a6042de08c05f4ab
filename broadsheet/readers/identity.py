"""What makes one reader's name hard to pass off as another's: handle skeletons
(Unicode TR 39), reserved handles, and display names cleaned of invisible characters."""

import hashlib
import re
import unicodedata

from django.conf import settings

# TR 39's confusables table (confusables.txt), cut down to the characters a handle
# may hold (HANDLE_PATTERN: ASCII letters, digits, "-" and "_"): in that alphabet
# these four are the only sources TR 39 maps to a prototype. We write them here
# rather than depend on a package: confusable-homoglyphs, the maintained one,
# stores the table as undirected pairs, so it cannot say which side is the
# prototype a skeleton needs; confusables ships the raw table but no skeleton and
# has not been released since 2021; PyICU's SpoofChecker needs ICU compiled in.
# If handles ever allow more than ASCII, this table must become the whole of
# confusables.txt, and migration 0005's fill must run again.
_PROTOTYPES = {
    "0": "O",  # DIGIT ZERO → LATIN CAPITAL LETTER O
    "1": "l",  # DIGIT ONE → LATIN SMALL LETTER L
    "I": "l",  # LATIN CAPITAL LETTER I → LATIN SMALL LETTER L
    "m": "rn",  # LATIN SMALL LETTER M → LATIN SMALL LETTER R, LATIN SMALL LETTER N
}


def _map_prototypes(text: str) -> str:
    text = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFD", "".join(_PROTOTYPES.get(c, c) for c in text))


def handle_skeleton(handle: str) -> str:
    """The TR 39 skeleton of a handle, folded for case: two handles that look alike,
    in any letter case, have the same skeleton.

    Handles ignore case, so the skeleton must too: it is taken, lower-cased and
    taken again, so "KestreI-7" (capital I) becomes "Kestrel-7", then "kestrel-7".
    (Lower-casing first would make that capital I an i, which TR 39 leaves alone.)
    For the same reason a small i counts as an l: "kestrei-7" is the handle
    "KESTREI-7" too, and its capital I is drawn like an l. Without this "ADMIN"
    and "admin", one handle, would have different skeletons.
    """
    return _map_prototypes(_map_prototypes(handle.strip()).lower()).replace("i", "l")


# Names a reader could use to pass as the site itself or its staff.
RESERVED_HANDLES = (
    "admin",
    "administrator",
    "anonymous",
    "broadsheet",
    "deleted",
    "editor",
    "help",
    "moderator",
    "noreply",
    "official",
    "root",
    "staff",
    "support",
    "system",
    "webmaster",
)


def reserved_skeletons() -> set[str]:
    """Skeletons of the reserved handles and of the site's name (settings.BROADSHEET_SITE_NAME,
    written as a handle: spaces become "-")."""
    site = "-".join(settings.BROADSHEET_SITE_NAME.split())
    return {handle_skeleton(name) for name in (*RESERVED_HANDLES, site) if name}


def is_reserved_handle(handle: str) -> bool:
    """Whether readers may not sign up with this handle or anything like it."""
    return handle_skeleton(handle) in reserved_skeletons()


# Characters that change how text around them is drawn or hide in it: the
# bidirectional embeddings, overrides, isolates and marks (a name can reverse the
# text that follows it on the page, "Anna ‮Petrova" shows as "Anna avorteP") and
# zero-width characters (two names that differ only by one look the same). Most
# are Unicode category Cf (format); the rest of Cf and all of Cc (control) go too.
_INVISIBLE = {
    *range(0x202A, 0x202F),  # LRE, RLE, PDF, LRO, RLO
    *range(0x2066, 0x206A),  # LRI, RLI, FSI, PDI
    0x200E,  # LEFT-TO-RIGHT MARK
    0x200F,  # RIGHT-TO-LEFT MARK
    0x061C,  # ARABIC LETTER MARK
    *range(0x200B, 0x200E),  # ZERO WIDTH SPACE, NON-JOINER, JOINER
    0x2060,  # WORD JOINER
    0xFEFF,  # ZERO WIDTH NO-BREAK SPACE (byte order mark)
}


def _is_invisible(char: str) -> bool:
    return ord(char) in _INVISIBLE or unicodedata.category(char) in {"Cc", "Cf"}


def clean_display_name(display_name: str) -> str:
    """The display name without invisible and direction-changing characters, its
    runs of white space made one space."""
    # White space first: a tab (a control character) parts two words like a space.
    visible = (" " if c.isspace() else "" if _is_invisible(c) else c for c in display_name)
    return " ".join("".join(visible).split())


def imported_email_hash(email: str) -> str:
    """What an imported author's address is kept as until someone claims it: the
    SHA-256 of the address, trimmed and lower-cased. Enough to recognise the
    address when a reader verifies it; not the address itself in the database or
    an export. (Not a secret either: anyone holding a list of addresses can test
    them against it, which is why it is compared, never shown.)"""
    normalized = email.strip().lower()
    return hashlib.sha256(normalized.encode()).hexdigest() if normalized else ""


def handle_from_name(name: str, *, fallback: str = "reader") -> str:
    """A handle that could stand for a name from another system ("Дмитрий Иванов" ->
    "dmitrii-ivanov" would need transliteration; this keeps what is Latin already
    and falls back to `fallback`): 3 to 24 characters of the handle alphabet."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    handle = re.sub(r"[^A-Za-z0-9_-]+", "-", ascii_name).strip("-_")[:24].strip("-_")
    return handle if len(handle) >= 3 else fallback
