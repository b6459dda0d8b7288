"""Small presentation helpers for the directory's templates."""

import json
from urllib.parse import urlsplit

from django import template
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe

from organisations import search

register = template.Library()

# The same escapes as Django's json_script: nothing in the data can close the <script> element.
JSON_SCRIPT_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


@register.simple_tag
def highlight(text, query):
    """Escaped `text` with the words of `query` in <mark> (ARCHITECTURE.md §6)."""
    if not text:
        return ""
    if not query:
        return escape(text)
    return search.highlight(text, query)


# Small words that would make placeholders such as "IO" for "Institute of …".
INITIALS_SKIP = {"and", "at", "for", "in", "of", "on", "the", "to"}


@register.filter
def initials(name):
    """Up to two initials for a logo placeholder: 'Leeds Teaching Hospitals' -> 'LT'.

    A bracketed part ('… (University of Leeds)') and small words are passed over.
    """
    name = str(name).split("(")[0].replace("-", " ")
    words = [w for w in name.split() if w[:1].isalnum() and w.lower() not in INITIALS_SKIP]
    letters = "".join(w[0] for w in words[:2]).upper()
    return letters or "?"


@register.filter
def host(url):
    """The host a web address points at, without "www.": what a card shows of a website."""
    try:
        name = urlsplit(str(url)).hostname or ""
    except ValueError:
        return ""
    return name.removeprefix("www.")


@register.simple_tag
def json_ld(data):
    """A schema.org JSON-LD block, escaped like json_script so that no value can break out of it."""
    payload = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False).translate(JSON_SCRIPT_ESCAPES)
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(payload))  # noqa: S308


@register.inclusion_tag("includes/breadcrumbs.html")
def breadcrumbs(*trail):
    """{% breadcrumbs "Organisations" list_url organisation.name %}: label/url pairs, the last without a url."""
    crumbs = []
    items = list(trail)
    while items:
        label = items.pop(0)
        url = items.pop(0) if items else ""
        crumbs.append({"label": label, "url": url})
    return {"crumbs": crumbs}
