"""The embedded discussion's doors: /embed.js, the frame, and the popup that signs
a reader in where third-party cookies are blocked (docs/embed.md, docs/adr/0015).

Inside another site's page Broadsheet is a third party: its session cookie is
blocked or partitioned. So the frame is drawn for nobody in particular (the
session is ignored), and a reader who signs in does so in a first-party popup,
which hands the frame a short-lived write-scope API token through
`window.opener.postMessage` to Broadsheet's own origin. The frame then reads its
reader's view with that token (`comments`) and writes through the JSON API.
"""

import json
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import IntegrityError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from broadsheet.articles.access import get_visible_article_or_404
from broadsheet.articles.operations import open_external_page
from broadsheet.core.limits import too_many_requests, within_limit
from broadsheet.discussion.page import build_discussion_context
from broadsheet.integrations.embed.addresses import (
    InvalidPageAddress,
    normalize_origin,
    normalize_page_url,
    origin_of,
)
from broadsheet.integrations.embed.pages import (
    allowed_origins,
    find_external_page,
    find_own_article,
    own_article_slug,
)
from broadsheet.moderation.models import Report
from broadsheet.readers.access import find_api_token
from broadsheet.readers.models import ApiToken, ApiTokenScope
from broadsheet.readers.operations import create_api_token, revoke_api_token
from broadsheet.readers.sso import sso_enabled
from broadsheet.readers.views import SignInView

TITLE_MAX_LENGTH = 300
# Plural categories of Intl.PluralRules and a number that falls in each, for
# English and Russian: embed.js picks the form with the reader's language rules.
_PLURAL_SAMPLES = {"one": 1, "few": 2, "many": 5, "other": 5}


def _own_origin(request) -> str:
    return normalize_origin(request.build_absolute_uri("/"))


def _language(request) -> str:
    """en or ru, from the host page's `lang` (or the embed's data-lang)."""
    wanted = request.GET.get("lang", "")[:20].split("-")[0].lower()
    return wanted if wanted in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def _scheme(request) -> str:
    return "dark" if request.GET.get("scheme") == "dark" else "light"


def _refused(message: str, status: int = 403) -> HttpResponse:
    """Nothing to frame: the site's own frame-ancestors 'self' and X-Frame-Options stay."""
    response = HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")
    patch_cache_control(response, no_store=True)
    return response


def _sent_token(request) -> tuple[bool, ApiToken | None]:
    """(whether the request carries Authorization: Bearer, the live token it names)."""
    header = request.headers.get("Authorization", "")
    if not header:
        return False, None
    scheme, _space, secret = header.partition(" ")
    if scheme.lower() != "bearer":
        return True, None
    return True, find_api_token(secret.strip())


@require_GET
def embed_script(request):
    """/embed.js: the one script a newsroom puts on its pages (both languages' labels
    inside, so it is the same file for every page and cacheable)."""
    labels = {}
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            labels[language] = {
                "count": {
                    # The discussion heading's own words, with embed.js's placeholder.
                    category: ngettext("%(counter)s comment", "%(counter)s comments", n)
                    % {"counter": "{count}"}
                    for category, n in _PLURAL_SAMPLES.items()
                },
                "frameTitle": _("Reader discussion"),
            }
    # Inside a script, not HTML; still, no "<" reaches it unescaped.
    labels_json = json.dumps(labels, ensure_ascii=False).replace("<", "\\u003c")
    response = render(
        request,
        "integrations/embed/embed.js",
        {"labels_json": labels_json, "default_language": settings.LANGUAGE_CODE},
        content_type="text/javascript; charset=utf-8",
    )
    patch_cache_control(response, public=True, max_age=300)
    return response


@require_GET
def frame(request):
    """The discussion of the page that embeds it, for framing by that page only.

    `origin` is the host page's origin and must be one of BROADSHEET_EMBED_ORIGINS:
    it becomes this response's only frame-ancestor (a page elsewhere that claims it
    is refused framing by the browser) and the only target of the frame's messages.
    `url` is the page's canonical address: one of our own articles', or an address
    on an allowed origin, whose discussion is opened on its first view.
    """
    allowed = allowed_origins()
    host_origin = normalize_origin(request.GET.get("origin", "")[:300])
    if not host_origin or host_origin not in allowed:
        return _refused("This site may not embed the discussion.")
    try:
        url = normalize_page_url(
            request.GET.get("url", ""), max_length=settings.BROADSHEET_EMBED_URL_MAX_LENGTH
        )
    except InvalidPageAddress as error:
        return _refused(str(error), status=400)
    own_origin = _own_origin(request)
    slug = own_article_slug(url, own_origin)
    if slug is not None:
        article = find_own_article(slug)
    elif origin_of(url) not in allowed:
        return _refused("This site may not embed the discussion.")
    else:
        article = find_external_page(url)
        if article is None:
            refusal = _may_open_page(request, host_origin)
            if refusal is not None:
                return refusal
            title = " ".join(request.GET.get("title", "")[:TITLE_MAX_LENGTH].split())
            try:
                article = open_external_page(url=url, title=title)
            except IntegrityError:
                # Another first view of the same page opened it a moment ago.
                article = find_external_page(url)
                if article is None:
                    raise
    language = _language(request)
    # Drawn for nobody in particular: a browser that still sends our session cookie
    # to a third-party frame gets the same frame as one that does not, and what is
    # the reader's own comes with their token (see `comments`).
    request.user = AnonymousUser()
    with translation.override(language):
        context = build_discussion_context(request, article)
        context.update(_frame_context(request, article, host_origin, language))
        response = render(request, "integrations/embed/frame.html", context)
    # This response alone may be framed, and only by the page that asked for it;
    # refusals keep the site's frame-ancestors 'self' and X-Frame-Options.
    response._csp_replace = {"frame-ancestors": [host_origin]}
    response.xframe_options_exempt = True
    patch_cache_control(response, private=True, no_cache=True)
    return response


def _may_open_page(request, host_origin: str) -> HttpResponse | None:
    """None when this request may open a new page's discussion, else the refusal.

    The frame is requested by the host page itself (embed.js asks the browser for
    an origin-only Referer), so a request with another site's Referer, or none,
    opens nothing; and each client address opens a bounded number an hour.
    """
    referer_origin = normalize_origin(request.headers.get("Referer", "")[:1000])
    if referer_origin != host_origin:
        return _refused("This page's discussion can only be opened from the page itself.")
    if not within_limit(
        request,
        group="embed.open_page",
        value=request.META.get("REMOTE_ADDR", ""),
        setting="BROADSHEET_EMBED_PAGES_PER_HOUR",
        period="h",
    ):
        return too_many_requests(request, retry_after=3600)
    return None


def _frame_context(request, article, host_origin: str, language: str) -> dict:
    return {
        "article": article,
        "host_origin": host_origin,
        "own_origin": _own_origin(request),
        "scheme": _scheme(request),
        "embed_language": language,
        "api_comments_url": f"/api/v1/articles/{article.slug}/comments",
        "personal_url": reverse("embed:comments", kwargs={"slug": article.slug}),
        "sign_in_url": reverse("embed:sign_in")
        + "?"
        + urlencode({"next": reverse("embed:signed_in")}),
        "sign_out_url": reverse("embed:sign_out"),
        # The newsroom's own sign-in (docs/sso.md), when single sign-on is set up.
        "sso_token_url": reverse("readers:sso_token") if sso_enabled() else "",
        "comment_max_length": settings.BROADSHEET_COMMENT_MAX_LENGTH,
        "report_reasons": Report.Reason.choices,
    }


@require_GET
def comments(request, slug: str):
    """The frame's list of comments as its reader sees them: with the token the frame
    holds, their own held comments, their votes and their controls; without one,
    what everyone sees. A fragment the frame swaps in, never a page of its own."""
    article = get_visible_article_or_404(slug)
    sent, token = _sent_token(request)
    if sent and token is None:
        response = HttpResponse(status=401)
        response["WWW-Authenticate"] = 'Bearer realm="embed"'
        return response
    request.user = token.reader if token is not None else AnonymousUser()
    with translation.override(_language(request)):
        context = build_discussion_context(request, article)
        context.update({"article": article, "live": True})
        response = render(request, "integrations/embed/comments.html", context)
    patch_cache_control(response, private=True, no_store=True)
    patch_vary_headers(response, ["Authorization"])
    return response


def _allow_opener(response: HttpResponse) -> HttpResponse:
    """Keep window.opener for the popup's pages. Django's default
    Cross-Origin-Opener-Policy: same-origin would put a page in a new browsing
    context group when its opener's top-level page is another site (the frame's
    host), and the token could never be handed over."""
    response["Cross-Origin-Opener-Policy"] = "unsafe-none"
    return response


_sign_in_form = SignInView.as_view()


def sign_in(request):
    """The popup's first page: the site's own sign-in form (its limits and lockouts
    included), on Broadsheet's origin, so the session cookie is first-party; a
    reader already signed in goes straight on to the handoff."""
    next_url = request.GET.get("next", "")
    if not next_url.startswith(reverse("embed:signed_in")):
        return redirect(
            reverse("embed:sign_in") + "?" + urlencode({"next": reverse("embed:signed_in")})
        )
    return _allow_opener(_sign_in_form(request))


@never_cache
@require_GET
def signed_in(request):
    """The popup's last page: a token for the signed-in reader, handed to the frame
    that opened the popup (window.opener, Broadsheet's origin only), then closed."""
    if not request.user.is_authenticated:
        return redirect(reverse("embed:sign_in") + "?" + urlencode({"next": request.path}))
    # Only our own pages lead here (the frame's window.open, the sign-in form's
    # redirect): another site cannot make tokens by opening this address.
    if request.headers.get("Sec-Fetch-Site", "same-origin") not in ("same-origin", "none"):
        return _allow_opener(_refused("Open the discussion's sign-in from the discussion."))
    if not within_limit(
        request,
        group="embed.sign_in",
        value=str(request.user.pk),
        setting="BROADSHEET_EMBED_SIGN_INS_PER_HOUR",
        period="h",
    ):
        return _allow_opener(too_many_requests(request, retry_after=3600))
    issued = create_api_token(
        reader=request.user,
        name="Embedded discussion",
        scope=ApiTokenScope.WRITE,
        lifetime=timedelta(hours=settings.BROADSHEET_EMBED_TOKEN_HOURS),
    )
    response = render(
        request,
        "integrations/embed/signed_in.html",
        {"issued": issued, "target_origin": _own_origin(request)},
    )
    response["Referrer-Policy"] = "no-referrer"
    return _allow_opener(response)


@csrf_exempt  # authenticated by the Authorization header alone, which no page sends by itself
@require_POST
def sign_out(request):
    """Revoke the frame's token ("Sign out" in the frame). 204 whether or not the
    token was still alive: the frame forgets it either way."""
    _sent, token = _sent_token(request)
    if token is not None:
        revoke_api_token(token=token)
    return HttpResponse(status=204)
