"""Whole pages for visitors who are not signed in, kept under the data version.

Most requests are anonymous reads of the same few pages (a profile, the first page of the list,
the home page). A page served once is kept in the cache under its address and the data version
(core/dataversion.py), which every write to organisations, initiatives, contacts and reference rows
moves: an edit, a publication or the erasure of a person shows on the very next request, with no
invalidation to call. DJANGO_PAGE_CACHE_SECONDS bounds how long a page is kept (what depends on
the clock, such as "last checked 3 months ago", is at most that old); 0 turns the cache off.

What is cached: GET requests of visitors without a session or messages cookie, outside the back
office and the views marked `no_page_cache`, answered 200 with a plain (not streamed) body, that
set no cookie, vary on no request header and do not forbid caching. So pages with a form (they set
the CSRF cookie and vary on it), anything a signed-in user sees, the CSV export and the sitemap's
sections (streamed, with their own cache in core/downloads.py), /healthz (`never_cache`) and
negotiated responses (Vary: Accept) are always made afresh.

The key: scheme, host, path, the query string with its parameters in a stable order (the same
values in the same order for each name: one page), the data version and the active language.

The middleware sits after every middleware that adds headers to each response (security headers,
CSP, the request id), so that a page from the cache gets them like any other, and before the
session, CSRF, messages and clickjacking middleware, whose cookies and Vary headers it must see
to keep a page out. The cache keeps the status, headers and body, not the response object: a view
that leaves instructions on the response for a middleware above (django-csp's per-view decorators
do) must be marked `no_page_cache`; none does today.
Rate limits are counted in the views that have them (the CSV export, the suggestion forms), which
are never cached, so a cached page never lets a request past a limit.
CSP nonces would differ per response: the policy uses none, and must not while pages are cached.
"""

import hashlib
from urllib.parse import parse_qsl, urlencode

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import caches
from django.core.exceptions import DisallowedHost
from django.http import HttpResponse
from django.urls import Resolver404, resolve, reverse
from django.utils import translation
from django.utils.cache import cc_delim_re

from .dataversion import data_version
from .errors import is_unavailable

CACHE_PREFIX = "page"
# The cache alias pages are kept in (settings.CACHES), the default cache where it is not configured.
CACHE_ALIAS = "pages"
# Cache-Control directives that keep a response out of a shared cache.
UNCACHEABLE_DIRECTIVES = frozenset({"private", "no-store", "no-cache"})


def no_page_cache(view):
    """Mark a view whose pages are never cached, and for which the version is not even read: pages
    that need no data (reading the version would cost more than they do), streamed downloads with
    their own cache, forms, and pages built from data the version does not follow."""
    view.page_cache_exempt = True
    return view


def normalised_query(query_string):
    """The query string with its parameters sorted by name, each name's values in their order;
    None when it cannot be read as the view would read it (the view answers as before)."""
    try:
        pairs = parse_qsl(
            query_string,
            keep_blank_values=True,
            max_num_fields=settings.DATA_UPLOAD_MAX_NUMBER_FIELDS,
        )
    except ValueError:
        return None
    return urlencode(sorted(pairs, key=lambda pair: pair[0]))


def is_anonymous(request):
    """No session (so no signed-in user) and no messages waiting to be shown."""
    cookies = request.COOKIES
    return settings.SESSION_COOKIE_NAME not in cookies and CookieStorage.cookie_name not in cookies


def page_key(request):
    """The cache key of this request's page, or None when it must not come from the cache."""
    if request.method != "GET" or not is_anonymous(request):
        return None
    if request.path.startswith(reverse("admin:index")):
        return None
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return None  # a 404: never kept
    if getattr(match.func, "page_cache_exempt", False):
        return None
    query = normalised_query(request.META.get("QUERY_STRING", ""))
    if query is None:
        return None
    try:
        host = request.get_host()
    except DisallowedHost:
        return None
    try:
        version = data_version()
    except Exception as error:
        if is_unavailable(error):
            return None  # the view answers 503 as it would without the cache
        raise
    if version is None:
        return None
    parts = (request.scheme, host, request.path, query, version, translation.get_language() or "")
    digest = hashlib.blake2b("\n".join(parts).encode(), digest_size=16).hexdigest()
    return f"{CACHE_PREFIX}:{digest}"


def is_storable(response):
    """A complete 200 that is the same for every anonymous visitor."""
    if response.status_code != 200 or response.streaming or response.cookies:
        return False
    if response.has_header("Vary"):
        # Vary: Cookie (a CSRF token or a session), Vary: Accept (negotiated): one copy cannot
        # serve every visitor.
        return False
    directives = {
        directive.split("=")[0].strip().lower()
        for directive in cc_delim_re.split(response.get("Cache-Control", ""))
    }
    return not directives & UNCACHEABLE_DIRECTIVES


def page_cache():
    return caches[CACHE_ALIAS if CACHE_ALIAS in settings.CACHES else "default"]


def stored(response):
    return (response.status_code, list(response.items()), response.content)


def restored(entry):
    status, headers, content = entry
    response = HttpResponse(content, status=status)
    for name, value in headers:
        response[name] = value
    return response


class PageCacheMiddleware:
    """Serve and keep whole pages for anonymous visitors (see the module's description)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        timeout = settings.PAGE_CACHE_SECONDS
        key = page_key(request) if timeout > 0 else None
        if key is None:
            return self.get_response(request)
        cache = page_cache()
        entry = cache.get(key)
        if entry is not None:
            response = restored(entry)
            response["X-Cache"] = "hit"
            return response
        response = self.get_response(request)
        if is_storable(response):
            cache.set(key, stored(response), timeout)
            response["X-Cache"] = "miss"
        return response
