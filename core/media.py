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


# Longer paths are no upload's: generated names are short, and the filesystem refuses long ones.
MAX_PATH_LENGTH = 255


@require_safe
def serve_media(request, path):
    if len(path) > MAX_PATH_LENGTH:
        raise Http404("No such file.")
    root = Path(settings.MEDIA_ROOT).resolve()
    try:
        target = (root / path).resolve()
        content_type = SERVED_TYPES.get(target.suffix.lower())
        found = content_type is not None and target.is_relative_to(root) and target.is_file()
    except (OSError, ValueError):
        found = False
    if not found:
        raise Http404("No such file.")
    response = FileResponse(target.open("rb"), content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "public, max-age=86400"
    return response
