import io
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.forms.models import model_to_dict
from PIL import Image

from organisations.forms import OrganisationAdminForm
from organisations.images import process_logo, remove_logo, store_logo
from organisations.models import Organisation
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db


def image_bytes(image_format, size=(400, 200), mode="RGB", color=(20, 110, 120), **save_options):
    out = io.BytesIO()
    Image.new(mode, size, color).save(out, format=image_format, **save_options)
    return out.getvalue()


def upload(data, name="logo.png", content_type="image/png"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def jpeg_with_exif(orientation=6):
    exif = Image.Exif()
    exif[0x0110] = "Secret Camera Model"  # Model
    exif[0x0112] = orientation  # Orientation: rotate 90° clockwise to display
    return image_bytes("JPEG", size=(400, 200), exif=exif.tobytes())


def media_files():
    root = Path(settings.MEDIA_ROOT)
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []


def form_data(organisation):
    data = {k: v for k, v in model_to_dict(organisation).items() if v is not None}
    data["sectors"] = data["care_settings"] = data["regulatory_marks"] = []
    for key in ("logo", "parent", "merged_into"):
        data.pop(key, None)
    return data


def admin_form(organisation, files=None, **extra):
    return OrganisationAdminForm(
        data={**form_data(organisation), **extra}, files=files, instance=organisation
    )


@pytest.mark.parametrize(("image_format", "extension"), [("PNG", "png"), ("JPEG", "jpg"), ("WEBP", "webp")])
def test_it_accepts_real_png_jpeg_and_webp_images(image_format, extension):
    org = OrganisationFactory()

    store_logo(organisation=org, uploaded_file=upload(image_bytes(image_format), name=f"logo.{extension}"))

    org.refresh_from_db()
    assert org.logo.name.endswith(f".{extension}")
    with Image.open(org.logo.path) as stored:
        assert stored.format == image_format
        assert stored.size == (400, 200)


def test_files_are_stored_under_generated_names():
    org = OrganisationFactory()

    store_logo(organisation=org, uploaded_file=upload(image_bytes("PNG"), name="../../evil name.png"))

    org.refresh_from_db()
    assert "evil" not in org.logo.name
    assert org.logo.name.startswith("logos/")
    assert len(Path(org.logo.name).stem) == 32


def test_thumbnails_of_96_and_320_pixels_are_made_at_upload():
    org = OrganisationFactory()

    store_logo(organisation=org, uploaded_file=upload(image_bytes("PNG", size=(1000, 500))))

    org.refresh_from_db()
    with (
        Image.open(org.logo_thumbnail_small.path) as small,
        Image.open(org.logo_thumbnail_large.path) as large,
    ):
        assert small.size == (96, 48)
        assert large.size == (320, 160)


def test_metadata_is_stripped_and_orientation_applied():
    org = OrganisationFactory()

    store_logo(organisation=org, uploaded_file=upload(jpeg_with_exif(), name="photo.jpg"))

    org.refresh_from_db()
    raw = Path(org.logo.path).read_bytes()
    assert b"Secret Camera Model" not in raw
    with Image.open(org.logo.path) as stored:
        assert not stored.getexif()
        assert stored.size == (200, 400)


def test_transparency_is_kept_for_png():
    processed = process_logo(upload(image_bytes("PNG", mode="RGBA", color=(0, 0, 0, 0))))

    with Image.open(io.BytesIO(processed.content)) as image:
        assert image.mode == "RGBA"


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        (
            "logo.png",
            b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "could not be read",
        ),
        (
            "logo.jpg",
            b"<!doctype html><html><body><script>alert(1)</script></body></html>",
            "could not be read",
        ),
        ("logo.gif", image_bytes("GIF"), "PNG, JPEG or WebP"),
        ("logo.png", image_bytes("PNG")[:-200], "could not be read"),
        ("logo.png", b"", "empty"),
    ],
    ids=["svg-named-png", "html-named-jpg", "gif", "truncated-png", "empty"],
)
def test_content_that_is_not_a_sound_png_jpeg_or_webp_is_refused(name, data, message):
    with pytest.raises(ValidationError, match=message):
        process_logo(upload(data, name=name))


def test_a_truncated_jpeg_is_refused():
    data = image_bytes("JPEG", size=(800, 800))
    with pytest.raises(ValidationError, match="could not be read"):
        process_logo(upload(data[: len(data) // 2], name="logo.jpg", content_type="image/jpeg"))


def test_files_over_five_megabytes_are_refused():
    data = image_bytes("PNG") + b"\0" * (5 * 1024 * 1024)
    with pytest.raises(ValidationError, match="larger than 5 MB"):
        process_logo(upload(data))


def test_images_over_25_megapixels_are_refused_before_decoding():
    data = image_bytes("PNG", size=(6000, 5000), mode="1", color=1)
    assert len(data) < 100_000  # one colour compresses small: a decompression bomb in miniature

    with pytest.raises(ValidationError, match="25 megapixels"):
        process_logo(upload(data))


def test_the_admin_form_refuses_a_bad_logo_with_a_clear_error_and_stores_nothing():
    org = OrganisationFactory()
    before = media_files()

    form = admin_form(org, files={"logo": upload(b"<svg xmlns='http://www.w3.org/2000/svg'/>", name="x.png")})

    assert not form.is_valid()
    assert "could not be read" in form.errors["logo"][0]
    assert media_files() == before
    org.refresh_from_db()
    assert not org.logo


def test_the_admin_form_stores_a_good_logo_and_replacing_it_removes_the_old_files():
    org = OrganisationFactory()
    form = admin_form(org, files={"logo": upload(image_bytes("PNG"))})
    assert form.is_valid(), form.errors
    form.save()
    org.refresh_from_db()
    first = [org.logo.name, org.logo_thumbnail_small.name, org.logo_thumbnail_large.name]
    assert media_files() == sorted(first)

    form = admin_form(org, files={"logo": upload(image_bytes("WEBP"), name="new.webp")})
    assert form.is_valid(), form.errors
    # The admin's own flow: save(commit=False), save the object, then save_m2m().
    obj = form.save(commit=False)
    obj.save()
    form.save_m2m()

    org.refresh_from_db()
    second = [org.logo.name, org.logo_thumbnail_small.name, org.logo_thumbnail_large.name]
    assert org.logo.name.endswith(".webp")
    assert media_files() == sorted(second)


def test_clearing_the_logo_in_the_admin_form_removes_the_files():
    org = OrganisationFactory()
    store_logo(organisation=org, uploaded_file=upload(image_bytes("PNG")))
    assert len(media_files()) == 3

    form = admin_form(org, **{"logo-clear": "on"})
    assert form.is_valid(), form.errors
    form.save()

    org.refresh_from_db()
    assert not org.logo and not org.logo_thumbnail_small and not org.logo_thumbnail_large
    assert media_files() == []


def test_saving_the_form_without_touching_the_logo_keeps_it():
    org = OrganisationFactory()
    store_logo(organisation=org, uploaded_file=upload(image_bytes("PNG")))
    stored = media_files()

    form = admin_form(org, summary="A new summary")
    assert form.is_valid(), form.errors
    form.save()

    org.refresh_from_db()
    assert org.summary == "A new summary"
    assert media_files() == stored


def test_remove_logo_deletes_the_files_and_clears_the_fields():
    org = OrganisationFactory()
    store_logo(organisation=org, uploaded_file=upload(image_bytes("JPEG"), name="a.jpg"))
    store_logo(organisation=org, uploaded_file=upload(image_bytes("PNG")))
    assert len(media_files()) == 3

    remove_logo(organisation=org)

    assert media_files() == []
    assert not Organisation.objects.get(pk=org.pk).logo


def test_the_organisation_admin_uses_the_checked_logo_field(client, django_user_model):
    org = OrganisationFactory()
    client.force_login(django_user_model.objects.create_superuser("boss"))

    response = client.get(f"/admin/organisations/organisation/{org.pk}/change/")

    assert response.status_code == 200
    assert isinstance(response.context["adminform"].form, OrganisationAdminForm)
    assert 'accept="image/png,image/jpeg,image/webp"' in response.content.decode()


def test_uploading_a_logo_through_the_organisation_admin_stores_the_re_encoded_copy(
    client, django_user_model
):
    org = OrganisationFactory(name="Acme", slug="acme")
    client.force_login(django_user_model.objects.create_superuser("boss"))
    url = f"/admin/organisations/organisation/{org.pk}/change/"
    page = client.get(url)
    data = {k: v for k, v in form_data(org).items() if k in page.context["adminform"].form.fields}
    for formset in page.context["inline_admin_formsets"]:
        management = formset.formset.management_form
        data.update({management.add_prefix(name): value for name, value in management.initial.items()})

    response = client.post(url, {**data, "logo": upload(jpeg_with_exif(), name="../photo.jpg")})

    assert response.status_code == 302, response.context["adminform"].form.errors
    org.refresh_from_db()
    assert org.logo.name.startswith("logos/") and org.logo.name.endswith(".jpg")
    assert b"Secret Camera Model" not in Path(org.logo.path).read_bytes()
    assert len(media_files()) == 3
