"""Organisation logos: only real PNG, JPEG or WebP images, re-encoded, under generated names.

An upload is judged by its content, never by its name, extension or declared content type. Accepted
images are decoded fully, turned upright, stripped of metadata (EXIF, ICC, text chunks) and re-encoded;
the 96 px and 320 px thumbnails are made once, here, at upload. Replacing or removing a logo deletes
the old files explicitly (no signals).
"""

import io
import uuid
import warnings
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from .models import Organisation

MAX_LOGO_BYTES = 5 * 1024 * 1024
MAX_LOGO_PIXELS = 25_000_000
THUMBNAIL_SIZES = {"logo_thumbnail_small": 96, "logo_thumbnail_large": 320}
ACCEPTED_FORMATS = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp"}
LOGO_FIELDS = ["logo", *THUMBNAIL_SIZES]

# A truncated file must fail, not load as a half-grey picture.
ImageFile.LOAD_TRUNCATED_IMAGES = False

NOT_AN_IMAGE = "Upload a PNG, JPEG or WebP image. This file is not one (whatever its name says)."


@dataclass
class ProcessedLogo:
    format: str  # PNG, JPEG or WEBP
    extension: str
    content: bytes
    thumbnails: dict  # field name -> bytes


def _encode(image, image_format):
    out = io.BytesIO()
    options = {"optimize": True} if image_format == "PNG" else {}
    if image_format == "JPEG":
        options = {"quality": 88, "optimize": True}
    elif image_format == "WEBP":
        options = {"quality": 88, "method": 4}
    image.save(out, format=image_format, **options)
    return out.getvalue()


def _open_checked(data):
    """Open and fully decode `data`; raise ValidationError for anything that is not a sound image."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data)) as probe:
                image_format = probe.format
                if image_format not in ACCEPTED_FORMATS:
                    raise ValidationError(NOT_AN_IMAGE, code="logo_format")
                width, height = probe.size
                # Checked from the header, before any pixel is decoded.
                if width * height > MAX_LOGO_PIXELS:
                    raise ValidationError(
                        f"This image is {width} × {height} pixels; logos may have at most 25 megapixels.",
                        code="logo_too_many_pixels",
                    )
                probe.verify()
            image = Image.open(io.BytesIO(data))
            image.load()
        except ValidationError:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise ValidationError(
                "This image is too large to open safely; logos may have at most 25 megapixels.",
                code="logo_too_many_pixels",
            ) from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
            raise ValidationError(
                "This image could not be read: the file is damaged or incomplete, or not a PNG, "
                "JPEG or WebP image.",
                code="logo_unreadable",
            ) from None
    if image.format != image_format:
        raise ValidationError(NOT_AN_IMAGE, code="logo_format")
    return image, image_format


def process_logo(uploaded_file):
    """Validate an upload and return its re-encoded image and thumbnails (nothing is stored)."""
    size = getattr(uploaded_file, "size", None)
    if size is not None and size > MAX_LOGO_BYTES:
        raise ValidationError("This file is larger than 5 MB; upload a smaller logo.", code="logo_too_big")
    uploaded_file.seek(0)
    data = uploaded_file.read(MAX_LOGO_BYTES + 1)
    uploaded_file.seek(0)
    if len(data) > MAX_LOGO_BYTES:
        raise ValidationError("This file is larger than 5 MB; upload a smaller logo.", code="logo_too_big")
    if not data:
        raise ValidationError("The uploaded file is empty.", code="logo_empty")

    image, image_format = _open_checked(data)
    try:
        # Apply the camera's orientation before the EXIF that records it is dropped.
        image = ImageOps.exif_transpose(image)
        has_alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
        if image_format == "JPEG":
            image = image.convert("RGB")
        else:
            image = image.convert("RGBA" if has_alpha else "RGB")
        # Only pixels leave this function: no EXIF, ICC profile, comments or text chunks.
        image.info = {}
        content = _encode(image, image_format)
        thumbnails = {}
        for field_name, edge in THUMBNAIL_SIZES.items():
            thumbnail = image.copy()
            thumbnail.thumbnail((edge, edge), Image.Resampling.LANCZOS)
            thumbnail.info = {}
            thumbnails[field_name] = _encode(thumbnail, image_format)
    finally:
        image.close()
    return ProcessedLogo(
        format=image_format,
        extension=ACCEPTED_FORMATS[image_format],
        content=content,
        thumbnails=thumbnails,
    )


def _storage():
    return Organisation._meta.get_field("logo").storage


def write_logo_files(processed):
    """Store the processed logo under generated names; return {field name: stored name}."""
    storage = _storage()
    stem = uuid.uuid4().hex
    names = {"logo": storage.save(f"logos/{stem}.{processed.extension}", ContentFile(processed.content))}
    for field_name, data in processed.thumbnails.items():
        edge = THUMBNAIL_SIZES[field_name]
        names[field_name] = storage.save(
            f"logos/thumbs/{stem}-{edge}.{processed.extension}", ContentFile(data)
        )
    return names


def current_logo_names(organisation):
    return [getattr(organisation, f).name for f in LOGO_FIELDS if getattr(organisation, f)]


def delete_logo_files(names):
    storage = _storage()
    for name in names:
        if name:
            storage.delete(name)


def store_logo(*, organisation, uploaded_file):
    """Validate, re-encode and store a new logo for a saved organisation; delete the old files."""
    processed = process_logo(uploaded_file)
    old_names = current_logo_names(organisation)
    names = write_logo_files(processed)
    for field_name, name in names.items():
        setattr(organisation, field_name, name)
    try:
        organisation.save()
    except Exception:
        delete_logo_files(names.values())
        raise
    delete_logo_files(old_names)
    return organisation


def remove_logo(*, organisation):
    """Delete the logo and its thumbnails, files included."""
    old_names = current_logo_names(organisation)
    for field_name in LOGO_FIELDS:
        setattr(organisation, field_name, "")
    organisation.save()
    delete_logo_files(old_names)
    return organisation
