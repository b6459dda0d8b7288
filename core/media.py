"""Uploaded media (logos and their thumbnails), served so that no upload can ever run as a page.

Uploads are re-encoded images under generated names, but this view does not rely on that: it serves
only image types it recognises by extension, with `nosniff` and a sandboxing CSP. In production a
reverse proxy may serve MEDIA_ROOT directly with the same headers (docs/operations.md).
"""

from pathlib import Path

from django.conf import settings
from django.http import FileResponse, Http404
from django.views.decorators.http import require_safe

SERVED_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".webp": "image/webp"}


@require_safe
def serve_media(request, path):
    root = Path(settings.MEDIA_ROOT).resolve()
    try:
        target = (root / path).resolve()
    except (OSError, ValueError):
        raise Http404("No such file.") from None
    content_type = SERVED_TYPES.get(target.suffix.lower())
    if content_type is None or not target.is_relative_to(root) or not target.is_file():
        raise Http404("No such file.")
    response = FileResponse(target.open("rb"), content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "public, max-age=86400"
    return response
