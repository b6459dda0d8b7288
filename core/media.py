"""Uploaded media (logos and their thumbnails), served so that no upload can ever run as a page and no
unpublished entry's image is ever shown to the public.

Uploads are re-encoded images under generated names (core/images.py), but this view does not rely on
that: it serves only image types it recognises by extension, with `nosniff` and a sandboxing CSP. It
serves an image to the public only while a published entry uses it; signed-in staff see every image
(the back office shows drafts' logos). The reverse proxy must therefore pass /media/ to the app rather
than serve MEDIA_ROOT itself (docs/operations.md).
"""

from pathlib import Path

from django.conf import settings
from django.http import FileResponse, Http404
from django.views.decorators.http import require_safe

from .images import is_public

SERVED_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".webp": "image/webp"}

# Longer paths are no upload's: generated names are short, and the filesystem refuses long ones.
MAX_PATH_LENGTH = 255


def _stored_file(path):
    """(the file, its stored name under MEDIA_ROOT, its content type), or Http404."""
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
    return target, target.relative_to(root).as_posix(), content_type


@require_safe
def serve_media(request, path):
    target, name, content_type = _stored_file(path)
    public = is_public(name)
    if not public and not (request.user.is_active and request.user.is_staff):
        raise Http404("No such file.")
    response = FileResponse(target.open("rb"), content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    # Short-lived in shared caches: an entry that is unpublished stops showing within the hour.
    response["Cache-Control"] = "public, max-age=3600" if public else "private, no-store"
    return response
