"""One pipeline for every uploaded image: organisation and initiative logos, and any image to come.

An upload is judged by its content, never by its name, extension or declared content type. Accepted
images (PNG, JPEG or WebP, at most 5 MB and 25 megapixels) are decoded fully, turned upright, stripped
of metadata (EXIF and its GPS position, ICC, text chunks, anything after the image) and re-encoded under
a generated name, with their thumbnails. Replacing, clearing or deleting an image removes its files
once the change is saved (explicitly, no signals); and the media view serves an image only while a
published entry uses it (`is_public`).

A model declares its image with an `ImageSpec` (`image_spec`, with `ImageFilesModelMixin`) and
registers it in its app's `ready()`; its admin form uses `ImageFormMixin`, and its admin deletes
selections through `delete_with_image_files`.
"""

import io
import uuid
import warnings
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from django import forms
from django.contrib.admin.widgets import AdminFileWidget
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

MAX_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 25_000_000
ACCEPTED_FORMATS = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp"}
ACCEPT = "image/png,image/jpeg,image/webp"

# A truncated file must fail, not load as a half-grey picture.
ImageFile.LOAD_TRUNCATED_IMAGES = False

NOT_AN_IMAGE = "Upload a PNG, JPEG or WebP image. This file is not one (whatever its name says)."
TOO_BIG = "This file is larger than 5 MB; upload a smaller image."


@dataclass(frozen=True)
class ImageSpec:
    """Where a model keeps an uploaded image: its field, the folder of its files, and its thumbnails
    ({field name: longest edge in pixels}), stored as `<folder>/thumbs/<stem>-<edge>.<ext>`."""

    field: str
    folder: str
    thumbnails: dict = field(default_factory=dict)

    @property
    def fields(self):
        return [self.field, *self.thumbnails]

    def original_name(self, name):
        """The stored name of the image that `name` (the image or one of its thumbnails) belongs to;
        None when it is not one of this spec's files."""
        path = PurePosixPath(name)
        if path.parent == PurePosixPath(self.folder):
            return name
        if path.parent == PurePosixPath(self.folder, "thumbs"):
            stem, _dash, edge = path.stem.rpartition("-")
            if stem and edge.isdigit() and int(edge) in self.thumbnails.values():
                return f"{self.folder}/{stem}{path.suffix}"
        return None


@dataclass
class ProcessedImage:
    format: str  # PNG, JPEG or WEBP
    extension: str
    content: bytes
    thumbnails: dict  # field name -> bytes


# --- Checking and re-encoding -----------------------------------------------------------------------


def _encode(image, image_format):
    out = io.BytesIO()
    options = {
        "PNG": {"optimize": True},
        "JPEG": {"quality": 88, "optimize": True},
        "WEBP": {"quality": 88, "method": 4},
    }[image_format]
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
                    raise ValidationError(NOT_AN_IMAGE, code="image_format")
                width, height = probe.size
                # Checked from the header, before any pixel is decoded.
                if width * height > MAX_PIXELS:
                    raise ValidationError(
                        f"This image is {width} × {height} pixels; images may have at most 25 megapixels.",
                        code="image_too_many_pixels",
                    )
                probe.verify()
            image = Image.open(io.BytesIO(data))
            image.load()
        except ValidationError:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise ValidationError(
                "This image is too large to open safely; images may have at most 25 megapixels.",
                code="image_too_many_pixels",
            ) from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
            raise ValidationError(
                "This image could not be read: the file is damaged or incomplete, or not a PNG, "
                "JPEG or WebP image.",
                code="image_unreadable",
            ) from None
    if image.format != image_format:
        raise ValidationError(NOT_AN_IMAGE, code="image_format")
    return image, image_format


def _read_limited(uploaded_file):
    size = getattr(uploaded_file, "size", None)
    if size is not None and size > MAX_BYTES:
        raise ValidationError(TOO_BIG, code="image_too_big")
    uploaded_file.seek(0)
    data = uploaded_file.read(MAX_BYTES + 1)
    uploaded_file.seek(0)
    if len(data) > MAX_BYTES:
        raise ValidationError(TOO_BIG, code="image_too_big")
    if not data:
        raise ValidationError("The uploaded file is empty.", code="image_empty")
    return data


def process_image(uploaded_file, spec):
    """Validate an upload and return its re-encoded image and thumbnails (nothing is stored)."""
    image, image_format = _open_checked(_read_limited(uploaded_file))
    try:
        # Apply the camera's orientation before the EXIF that records it is dropped.
        image = ImageOps.exif_transpose(image)
        has_alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
        image = image.convert("RGB" if image_format == "JPEG" or not has_alpha else "RGBA")
        # Only pixels leave this function: no EXIF, ICC profile, comments or text chunks.
        image.info = {}
        content = _encode(image, image_format)
        thumbnails = {}
        for field_name, edge in spec.thumbnails.items():
            thumbnail = image.copy()
            thumbnail.thumbnail((edge, edge), Image.Resampling.LANCZOS)
            thumbnail.info = {}
            thumbnails[field_name] = _encode(thumbnail, image_format)
    finally:
        image.close()
    return ProcessedImage(image_format, ACCEPTED_FORMATS[image_format], content, thumbnails)


# --- Files ------------------------------------------------------------------------------------------


def storage_of(model, spec):
    return model._meta.get_field(spec.field).storage


def write_files(model, spec, processed):
    """Store a processed image under a generated name; return {field name: stored name}."""
    storage = storage_of(model, spec)
    stem = uuid.uuid4().hex
    names = {
        spec.field: storage.save(
            f"{spec.folder}/{stem}.{processed.extension}", ContentFile(processed.content)
        )
    }
    for field_name, data in processed.thumbnails.items():
        edge = spec.thumbnails[field_name]
        names[field_name] = storage.save(
            f"{spec.folder}/thumbs/{stem}-{edge}.{processed.extension}", ContentFile(data)
        )
    return names


def current_names(obj, spec):
    return [getattr(obj, name).name for name in spec.fields if getattr(obj, name)]


def delete_files(model, spec, names):
    storage = storage_of(model, spec)
    for name in names:
        if name:
            storage.delete(name)


def delete_files_on_commit(model, spec, names):
    """Delete the files once the change that drops them is committed: a rolled-back save or delete
    keeps its images."""
    names = list(names)
    if names:
        transaction.on_commit(lambda: delete_files(model, spec, names))


def store_image(obj, spec, uploaded_file):
    """Validate, re-encode and store a new image for a saved object; delete the old files."""
    processed = process_image(uploaded_file, spec)
    model = type(obj)
    old_names = current_names(obj, spec)
    names = write_files(model, spec, processed)
    for field_name, name in names.items():
        setattr(obj, field_name, name)
    try:
        obj.save()
    except Exception:
        delete_files(model, spec, names.values())
        raise
    delete_files_on_commit(model, spec, old_names)
    return obj


def remove_image(obj, spec):
    """Clear the image and its thumbnails, files included."""
    old_names = current_names(obj, spec)
    for field_name in spec.fields:
        setattr(obj, field_name, "")
    obj.save()
    delete_files_on_commit(type(obj), spec, old_names)
    return obj


def delete_with_image_files(queryset, spec):
    """Delete `queryset` (with its cascades, as Django does) and then its images' files."""
    names = [name for row in queryset.values_list(*spec.fields) for name in row if name]
    result = queryset.delete()
    delete_files_on_commit(queryset.model, spec, names)
    return result


class ImageFilesModelMixin:
    """For a model with an image (`image_spec`): deleting an object deletes its image files, once the
    deletion is committed."""

    image_spec = None

    def delete(self, *args, **kwargs):
        names = current_names(self, self.image_spec)
        result = super().delete(*args, **kwargs)
        delete_files_on_commit(type(self), self.image_spec, names)
        return result


class ImageFilesAdminMixin:
    """For the admin of a model with an image: deleting a selection deletes its image files too (one
    object's deletion goes through the model's `delete()`)."""

    def delete_queryset(self, request, queryset):
        delete_with_image_files(queryset, self.model.image_spec)


# --- Who may see an image -----------------------------------------------------------------------------

# [(model, spec)], registered by the apps in `ready()`.
_registered = []


def register(model, spec):
    _registered.append((model, spec))


def registered():
    """[(model, spec)] for every model with an image."""
    return list(_registered)


def is_public(name):
    """Does a published entry use the image (or thumbnail) stored as `name`? Drafts', archived and
    deleted entries' images are not served to the public, whatever their file name."""
    for model, spec in _registered:
        original = spec.original_name(name)
        if original is not None and model.objects.published().filter(**{spec.field: original}).exists():
            return True
    return False


# --- The admin form ---------------------------------------------------------------------------------


class ImageFormMixin:
    """For a ModelForm of a model with an image (`image_spec`): the upload is judged by its content
    (process_image), re-encoded and stored under a generated name with its thumbnails; replacing or
    clearing it deletes the old files once the object is saved."""

    image_spec = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        spec = self.image_spec
        if spec.field in self.fields:
            # A plain file field: Pillow checks happen once, in _clean_image, with our own messages.
            self.fields[spec.field] = forms.FileField(
                required=False,
                label=self.fields[spec.field].label,
                widget=AdminFileWidget(attrs={"accept": ACCEPT}),
                help_text=f"PNG, JPEG or WebP, at most {MAX_BYTES // (1024 * 1024)} MB and 25 megapixels.",
            )
        self._processed_image = None
        self._stored_image = {name: getattr(self.instance, name).name or "" for name in spec.fields}
        self._old_image_files = []

    def clean(self):
        cleaned_data = super().clean()
        upload = cleaned_data.get(self.image_spec.field)
        if isinstance(upload, UploadedFile):
            try:
                self._processed_image = process_image(upload, self.image_spec)
            except ValidationError as error:
                self.add_error(self.image_spec.field, error)
        return cleaned_data

    def _post_clean(self):
        super()._post_clean()
        # construct_instance() put the raw upload on the instance: only the re-encoded copy is kept.
        for name, stored in self._stored_image.items():
            setattr(self.instance, name, stored)

    def save(self, commit=True):
        spec = self.image_spec
        if spec.field in self.changed_data and not self.errors:
            model = type(self.instance)
            if self._processed_image is not None:
                self._old_image_files = current_names(self.instance, spec)
                for name, stored in write_files(model, spec, self._processed_image).items():
                    setattr(self.instance, name, stored)
            elif self.cleaned_data.get(spec.field) is False:
                self._old_image_files = current_names(self.instance, spec)
                for name in spec.fields:
                    setattr(self.instance, name, "")
        return super().save(commit=commit)

    def _save_m2m(self):
        # Runs after the object's row is saved, in both save() and the admin's commit=False flow.
        super()._save_m2m()
        if self._old_image_files:
            delete_files_on_commit(type(self.instance), self.image_spec, self._old_image_files)
            self._old_image_files = []
