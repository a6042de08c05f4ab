"""Making the site's own links absolute, for what is read away from the site
(feeds, e-mail): a feed reader or a mail client has no page to resolve
"/readers/anna/" against."""

import re

# href="/..." and src="/..." in sanitized HTML (ours: comment and article bodies).
_ROOT_RELATIVE = re.compile(r'(\s(?:href|src)=")/(?!/)')


def absolute_links(html: str, origin: str) -> str:
    """`html` with its site-relative links and images made absolute under `origin`
    ("https://news.example.org")."""
    return _ROOT_RELATIVE.sub(rf"\1{origin.rstrip('/')}/", html)
