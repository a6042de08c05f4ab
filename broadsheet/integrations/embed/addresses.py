"""Page addresses as the embedded discussion keys them.

A discussion belongs to one page, and the same page arrives spelled many ways:
`HTTPS://Example.org:443/story?utm_source=x#comments` and
`https://example.org/story` are one page. The address is normalised before it
is looked up or stored, so a tracking parameter or a fragment never opens a
second discussion, and it is bounded in length before it is parsed.
"""

from urllib.parse import quote, urlsplit

_DEFAULT_PORTS = {"http": 80, "https": 443}
# Characters a path keeps as they are; anything else (spaces, non-ASCII) is
# percent-encoded, and existing escapes ("%") are left alone.
_PATH_SAFE = "/%:@!$&'()*+,;=-._~"


class InvalidPageAddress(ValueError):
    """The address cannot key a discussion: not http(s), no host, or too long."""


def normalize_page_url(raw: str, *, max_length: int) -> str:
    """The canonical form of a page's address: lower-case scheme and host (IDNA),
    no default port, no credentials, query or fragment, a path that is at least
    "/" and percent-encoded. Raises InvalidPageAddress."""
    raw = (raw or "").strip()
    if not raw:
        raise InvalidPageAddress("The page address is missing.")
    if len(raw) > max_length * 3:
        # Refused before parsing: a megabyte of address is never a page.
        raise InvalidPageAddress("The page address is too long.")
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError as error:
        raise InvalidPageAddress("The page address is not valid.") from error
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise InvalidPageAddress("Only http and https pages have discussions.")
    host = (parts.hostname or "").rstrip(".")
    if not host or any(c in host for c in " /\\@"):
        raise InvalidPageAddress("The page address has no host.")
    try:
        host = host.encode("idna").decode("ascii").lower()
    except UnicodeError as error:
        raise InvalidPageAddress("The page address has an invalid host.") from error
    if ":" in host:  # an IPv6 literal keeps its brackets
        host = f"[{host}]"
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    path = quote(parts.path or "/", safe=_PATH_SAFE)
    url = f"{scheme}://{netloc}{path}"
    if len(url) > max_length:
        raise InvalidPageAddress("The page address is too long.")
    return url


def origin_of(url: str) -> str:
    """scheme://host[:port] of a normalised address."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def normalize_origin(raw: str) -> str:
    """An origin as a page or a setting names it, compared as browsers do:
    lower case, no trailing slash, no default port; "" if it is no origin."""
    try:
        url = normalize_page_url(raw, max_length=300)
    except InvalidPageAddress:
        return ""
    return origin_of(url)
