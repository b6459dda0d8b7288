"""The client's IP address, for login throttling and rate limits (ARCHITECTURE.md §3).

Without configuration this is REMOTE_ADDR. Behind a reverse proxy, name the header it sets in
DJANGO_TRUSTED_PROXY_HEADER (e.g. HTTP_X_FORWARDED_FOR), the proxies' own addresses in
DJANGO_TRUSTED_PROXIES (addresses or CIDR ranges) and their number in DJANGO_TRUSTED_PROXY_COUNT.

The header is believed only when the request comes straight from one of those proxies: anyone who
reaches the app directly could write any address into it. Each proxy appends the address it saw, so
only the entry that many hops from the right was written by a proxy we trust; anything further left
may be forged by the visitor.
"""

import ipaddress

from django.conf import settings


def meta_key(header):
    """'X-Forwarded-For' or 'HTTP_X_FORWARDED_FOR' -> 'HTTP_X_FORWARDED_FOR'."""
    key = header.strip().upper().replace("-", "_")
    if key in {"REMOTE_ADDR", "CONTENT_TYPE", "CONTENT_LENGTH"} or key.startswith("HTTP_"):
        return key
    return f"HTTP_{key}"


def _ip(value):
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None


def from_trusted_proxy(remote_addr):
    address = _ip(remote_addr or "")
    if address is None:
        return False
    # Settings hold networks; an address or range written as text (in a test) works too.
    networks = (ipaddress.ip_network(proxy, strict=False) for proxy in settings.TRUSTED_PROXIES)
    return any(address in network for network in networks)


def get_client_ip(request):
    remote_addr = request.META.get("REMOTE_ADDR") or None
    header = settings.TRUSTED_PROXY_HEADER
    if not header or not from_trusted_proxy(remote_addr):
        return remote_addr
    count = max(settings.TRUSTED_PROXY_COUNT, 1)
    hops = [hop.strip() for hop in request.META.get(meta_key(header), "").split(",") if hop.strip()]
    if len(hops) < count:
        # The request did not come through every trusted proxy: nothing in the header is reliable.
        return remote_addr
    client = _ip(hops[-count])
    return str(client) if client else remote_addr


def ratelimit_key(group, request):
    """django-ratelimit's key: the same proxy-aware client address as every other decision."""
    return get_client_ip(request) or "unknown"
