"""One pipeline for every uploaded image (core/images.py): organisation and initiative logos are judged
by their content, re-encoded without metadata, limited in size and pixels, stored under generated
names with their thumbnails, removed when replaced, cleared or deleted; and /media/ serves an image to
the public only while a published entry uses it, never as anything a browser could run."""

import io
import os
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.forms.models import model_to_dict
from PIL import Image

from core.images import process_image, remove_image, store_image
from initiatives.forms import InitiativeAdminForm
from initiatives.models import Initiative
from organisations.forms import OrganisationAdminForm
from organisations.models import Organisation, Status
from tests.factories import InitiativeFactory, OrganisationFactory

pytestmark = pytest.mark.django_db

LOGO = Organisation.image_spec
INITIATIVE_LOGO = Initiative.image_spec


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Old files are deleted once the change is committed: `with committed():` commits it."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


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
    exif[0x8825] = {1: "N", 2: (53.0, 47.0, 59.0), 3: "W", 4: (1.0, 32.0, 7.0)}  # GPS: Leeds
    return image_bytes("JPEG", size=(400, 200), exif=exif.tobytes())


def png_with_trailing_html():
    return image_bytes("PNG") + b"<html><body><script>alert(document.cookie)</script></body></html>"


def media_files():
    root = Path(settings.MEDIA_ROOT)
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []


def stored_bytes(field):
    return Path(field.path).read_bytes()


# --- The pipeline -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("image_format", "extension"), [("PNG", "png"), ("JPEG", "jpg"), ("WEBP", "webp")])
def test_it_accepts_real_png_jpeg_and_webp_images(image_format, extension):
    org = OrganisationFactory()

    store_image(org, LOGO, upload(image_bytes(image_format), name=f"logo.{extension}"))

    org.refresh_from_db()
    assert org.logo.name.endswith(f".{extension}")
    with Image.open(org.logo.path) as stored:
        assert stored.format == image_format
        assert stored.size == (400, 200)


@pytest.mark.parametrize("owner", ["organisation", "initiative"])
def test_files_are_stored_under_generated_names(owner):
    obj, spec = (
        (OrganisationFactory(), LOGO) if owner == "organisation" else (InitiativeFactory(), INITIATIVE_LOGO)
    )

    store_image(obj, spec, upload(image_bytes("PNG"), name="../../evil name.png"))

    obj.refresh_from_db()
    assert "evil" not in obj.logo.name
    assert obj.logo.name.startswith(f"{spec.folder}/")
    assert len(Path(obj.logo.name).stem) == 32


def test_thumbnails_of_96_and_320_pixels_are_made_at_upload():
    org = OrganisationFactory()

    store_image(org, LOGO, upload(image_bytes("PNG", size=(1000, 500))))

    org.refresh_from_db()
    with (
        Image.open(org.logo_thumbnail_small.path) as small,
        Image.open(org.logo_thumbnail_large.path) as large,
    ):
        assert small.size == (96, 48)
        assert large.size == (320, 160)


@pytest.mark.parametrize("owner", ["organisation", "initiative"])
def test_metadata_and_the_gps_position_are_stripped_and_orientation_applied(owner):
    obj, spec = (
        (OrganisationFactory(), LOGO) if owner == "organisation" else (InitiativeFactory(), INITIATIVE_LOGO)
    )

    store_image(obj, spec, upload(jpeg_with_exif(), name="photo.jpg"))

    obj.refresh_from_db()
    raw = stored_bytes(obj.logo)
    assert b"Secret Camera Model" not in raw and b"Exif" not in raw
    with Image.open(obj.logo.path) as stored:
        assert not stored.getexif()
        assert not stored.getexif().get_ifd(0x8825)
        assert stored.size == (200, 400)


def test_anything_after_the_image_is_dropped():
    processed = process_image(upload(png_with_trailing_html()), INITIATIVE_LOGO)

    assert b"<script>" not in processed.content and b"<html>" not in processed.content


def test_transparency_is_kept_for_png():
    processed = process_image(upload(image_bytes("PNG", mode="RGBA", color=(0, 0, 0, 0))), LOGO)

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
        process_image(upload(data, name=name), LOGO)


def test_a_truncated_jpeg_is_refused():
    data = image_bytes("JPEG", size=(800, 800))
    with pytest.raises(ValidationError, match="could not be read"):
        process_image(upload(data[: len(data) // 2], name="logo.jpg", content_type="image/jpeg"), LOGO)


@pytest.mark.parametrize("megabytes", [6, 20])
def test_files_over_five_megabytes_are_refused(megabytes):
    data = image_bytes("PNG") + b"\0" * (megabytes * 1024 * 1024)
    with pytest.raises(ValidationError, match="larger than 5 MB"):
        process_image(upload(data), INITIATIVE_LOGO)


def test_images_over_25_megapixels_are_refused_before_decoding():
    data = image_bytes("PNG", size=(6000, 5000), mode="1", color=1)
    assert len(data) < 100_000  # one colour compresses small: a decompression bomb in miniature

    with pytest.raises(ValidationError, match="25 megapixels"):
        process_image(upload(data), LOGO)


def test_replacing_or_removing_an_image_deletes_the_old_files_once_committed(committed):
    org = OrganisationFactory()
    with committed():
        store_image(org, LOGO, upload(image_bytes("JPEG"), name="a.jpg"))
        store_image(org, LOGO, upload(image_bytes("PNG")))
    assert len(media_files()) == 3

    with committed():
        store_image(org, LOGO, upload(image_bytes("WEBP")))
        assert len(media_files()) == 6  # not yet committed: a rollback would still find its files
    assert len(media_files()) == 3
    with committed():
        remove_image(org, LOGO)

    assert media_files() == []
    assert not Organisation.objects.get(pk=org.pk).logo


# --- The admin forms ----------------------------------------------------------------------------------


def form_data(obj):
    data = {k: v for k, v in model_to_dict(obj).items() if v is not None}
    for key in ("sectors", "care_settings", "regulatory_marks", "hosts", "members"):
        if key in data:
            data[key] = []
    for key in ("logo", "parent", "merged_into"):
        data.pop(key, None)
    return data


def admin_form(obj, files=None, **extra):
    form_class = OrganisationAdminForm if isinstance(obj, Organisation) else InitiativeAdminForm
    return form_class(data={**form_data(obj), **extra}, files=files, instance=obj)


@pytest.mark.parametrize("owner", ["organisation", "initiative"])
def test_the_admin_form_refuses_a_bad_logo_with_a_clear_error_and_stores_nothing(owner):
    obj = OrganisationFactory() if owner == "organisation" else InitiativeFactory()
    before = media_files()

    form = admin_form(obj, files={"logo": upload(b"<svg xmlns='http://www.w3.org/2000/svg'/>", name="x.png")})

    assert not form.is_valid()
    assert "could not be read" in form.errors["logo"][0]
    assert media_files() == before
    obj.refresh_from_db()
    assert not obj.logo


@pytest.mark.parametrize("owner", ["organisation", "initiative"])
def test_a_good_logo_is_stored_and_replacing_it_removes_the_old_files(owner, committed):
    obj, spec = (
        (OrganisationFactory(), LOGO) if owner == "organisation" else (InitiativeFactory(), INITIATIVE_LOGO)
    )
    form = admin_form(obj, files={"logo": upload(image_bytes("PNG"))})
    assert form.is_valid(), form.errors
    form.save()
    obj.refresh_from_db()
    first = sorted(getattr(obj, name).name for name in spec.fields)
    assert media_files() == first

    form = admin_form(obj, files={"logo": upload(image_bytes("WEBP"), name="new.webp")})
    assert form.is_valid(), form.errors
    # The admin's own flow: save(commit=False), save the object, then save_m2m().
    with committed():
        saved = form.save(commit=False)
        saved.save()
        form.save_m2m()

    obj.refresh_from_db()
    assert obj.logo.name.endswith(".webp")
    assert media_files() == sorted(getattr(obj, name).name for name in spec.fields)


@pytest.mark.parametrize("owner", ["organisation", "initiative"])
def test_clearing_the_logo_in_the_admin_form_removes_the_files(owner, committed):
    obj, spec = (
        (OrganisationFactory(), LOGO) if owner == "organisation" else (InitiativeFactory(), INITIATIVE_LOGO)
    )
    store_image(obj, spec, upload(image_bytes("PNG")))
    assert len(media_files()) == len(spec.fields)

    form = admin_form(obj, **{"logo-clear": "on"})
    assert form.is_valid(), form.errors
    with committed():
        form.save()

    obj.refresh_from_db()
    assert not any(getattr(obj, name) for name in spec.fields)
    assert media_files() == []


def test_saving_the_form_without_touching_the_logo_keeps_it():
    org = OrganisationFactory()
    store_image(org, LOGO, upload(image_bytes("PNG")))
    stored = media_files()

    form = admin_form(org, summary="A new summary")
    assert form.is_valid(), form.errors
    form.save()

    org.refresh_from_db()
    assert org.summary == "A new summary"
    assert media_files() == stored


def change_page_data(page):
    data = {}
    form = page.context["adminform"].form
    for name in form.fields:
        value = form[name].value()
        if value not in (None, "") and name != "logo":
            data[name] = [str(v) for v in value] if isinstance(value, list) else str(value)
    for formset in page.context["inline_admin_formsets"]:
        management = formset.formset.management_form
        data.update({management.add_prefix(name): value for name, value in management.initial.items()})
    return data


@pytest.mark.parametrize(
    ("owner", "url"),
    [
        ("organisation", "/admin/organisations/organisation/{}/change/"),
        ("initiative", "/admin/initiatives/initiative/{}/change/"),
    ],
)
def test_uploading_through_the_admin_stores_only_the_re_encoded_copy(client, django_user_model, owner, url):
    obj = OrganisationFactory(name="Acme") if owner == "organisation" else InitiativeFactory(name="Hub")
    client.force_login(django_user_model.objects.create_superuser("boss"))
    url = url.format(obj.pk)
    page = client.get(url)
    assert 'accept="image/png,image/jpeg,image/webp"' in page.content.decode()

    response = client.post(
        url, {**change_page_data(page), "logo": upload(jpeg_with_exif(), name="../photo.jpg")}
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    obj.refresh_from_db()
    assert obj.logo.name.endswith(".jpg") and "photo" not in obj.logo.name
    assert b"Secret Camera Model" not in stored_bytes(obj.logo)


def test_an_initiative_logo_of_20_megabytes_is_refused_in_the_admin(client, django_user_model):
    hub = InitiativeFactory(name="Hub")
    client.force_login(django_user_model.objects.create_superuser("boss"))
    url = f"/admin/initiatives/initiative/{hub.pk}/change/"
    data = change_page_data(client.get(url))

    response = client.post(url, {**data, "logo": upload(image_bytes("PNG") + b"\0" * (20 * 1024 * 1024))})

    assert response.status_code == 200
    assert "larger than 5 MB" in response.content.decode()
    assert media_files() == []


# --- Deleting --------------------------------------------------------------------------------------


def test_deleting_an_organisation_deletes_its_logo_files(client, django_user_model, committed):
    org = OrganisationFactory()
    store_image(org, LOGO, upload(image_bytes("PNG")))
    other = OrganisationFactory()
    store_image(other, LOGO, upload(image_bytes("PNG")))
    kept = sorted(getattr(other, name).name for name in LOGO.fields)
    client.force_login(django_user_model.objects.create_superuser("boss"))

    with committed():
        response = client.post(f"/admin/organisations/organisation/{org.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert media_files() == kept


def test_deleting_a_selection_of_initiatives_deletes_their_logo_files(client, django_user_model, committed):
    hubs = [InitiativeFactory() for _ in range(2)]
    for hub in hubs:
        store_image(hub, INITIATIVE_LOGO, upload(image_bytes("PNG")))
    client.force_login(django_user_model.objects.create_superuser("boss"))

    with committed():
        client.post(
            "/admin/initiatives/initiative/",
            {"action": "delete_selected", "_selected_action": [h.pk for h in hubs], "post": "yes"},
        )

    assert not Initiative.objects.exists()
    assert media_files() == []


# --- Serving ----------------------------------------------------------------------------------------


def logo_urls(obj, spec):
    return [getattr(obj, name).url for name in spec.fields]


@pytest.mark.parametrize("owner", ["organisation", "initiative"])
def test_a_published_entrys_image_is_served_with_nosniff_and_a_sandbox(client, owner):
    obj, spec = (
        (OrganisationFactory(), LOGO) if owner == "organisation" else (InitiativeFactory(), INITIATIVE_LOGO)
    )
    store_image(obj, spec, upload(image_bytes("PNG")))

    for url in logo_urls(obj, spec):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Content-Type"] == "image/png"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in response["Content-Security-Policy"]
        assert response["Cache-Control"] == "public, max-age=3600"


@pytest.mark.parametrize("status", [Status.DRAFT, Status.ARCHIVED])
@pytest.mark.parametrize("owner", ["organisation", "initiative"])
def test_an_unpublished_entrys_image_is_not_served_to_the_public(client, owner, status):
    obj, spec = (
        (OrganisationFactory(), LOGO) if owner == "organisation" else (InitiativeFactory(), INITIATIVE_LOGO)
    )
    store_image(obj, spec, upload(image_bytes("PNG")))
    obj.status = status
    obj.save()

    assert [client.get(url).status_code for url in logo_urls(obj, spec)] == [404] * len(spec.fields)


def test_staff_see_a_drafts_image_but_no_cache_keeps_it(client, django_user_model):
    org = OrganisationFactory(status=Status.DRAFT)
    store_image(org, LOGO, upload(image_bytes("PNG")))
    client.force_login(django_user_model.objects.create_user("editor", is_staff=True))

    response = client.get(org.logo.url)

    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"


def test_a_deleted_entrys_image_is_not_served_even_if_its_file_remained(client):
    org = OrganisationFactory()
    store_image(org, LOGO, upload(image_bytes("PNG")))
    url, name = org.logo.url, org.logo.name
    Organisation.objects.filter(pk=org.pk).delete()  # no file clean-up on this path
    assert name in media_files()

    assert client.get(url).status_code == 404


def write(name, content):
    path = Path(settings.MEDIA_ROOT) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)


def test_a_file_no_entry_uses_is_not_served(client):
    write("logos/stray.png", image_bytes("PNG"))
    write("elsewhere/stray.png", image_bytes("PNG"))

    assert client.get("/media/logos/stray.png").status_code == 404
    assert client.get("/media/elsewhere/stray.png").status_code == 404


@pytest.mark.parametrize("name", ["logos/page.html", "logos/image.svg", "logos/script.js", "logos/noext"])
def test_it_never_serves_anything_that_could_run_in_a_browser(client, django_user_model, name):
    write(name, b"<script>alert(1)</script>")
    client.force_login(django_user_model.objects.create_superuser("boss"))

    assert client.get(f"/media/{name}").status_code == 404


def test_it_refuses_paths_outside_the_media_root(client, django_user_model, tmp_path):
    (tmp_path / "secret.png").write_bytes(image_bytes("PNG"))
    Path(settings.MEDIA_ROOT).mkdir(parents=True, exist_ok=True)
    client.force_login(django_user_model.objects.create_superuser("boss"))

    assert client.get("/media/../secret.png").status_code == 404
    assert client.get("/media/%2e%2e/secret.png").status_code == 404


def test_it_answers_404_for_a_missing_file(client):
    assert client.get("/media/logos/missing.png").status_code == 404


# --- Images stored before the pipeline ----------------------------------------------------------------


def stored_raw(obj, name, data):
    """An image as the old code stored it: the uploader's bytes under the uploader's name."""
    write(name, data)
    type(obj).objects.filter(pk=obj.pk).update(logo=name)
    obj.refresh_from_db()


def age(name, hours):
    path = Path(settings.MEDIA_ROOT) / name
    past = time.time() - hours * 3600
    os.utime(path, (past, past))


def reprocess(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("reprocess_images", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_images_stored_before_the_pipeline_are_re_encoded_under_generated_names(committed):
    hub = InitiativeFactory()
    stored_raw(hub, "initiative-logos/Our Logo (final).jpg", jpeg_with_exif())
    org = OrganisationFactory()
    store_image(org, LOGO, upload(image_bytes("PNG")))
    org_files = sorted(getattr(org, name).name for name in LOGO.fields)

    dry_out, _ = reprocess("--dry-run")
    assert "initiatives: 1 image(s) re-encoded" in dry_out
    assert "initiative-logos/Our Logo (final).jpg" in media_files()

    with committed():
        out, err = reprocess()

    hub.refresh_from_db()
    assert "initiatives: 1 image(s) re-encoded" in out and "organisations: 0 image(s) re-encoded" in out
    assert len(Path(hub.logo.name).stem) == 32 and hub.logo.name.startswith("initiative-logos/")
    assert b"Secret Camera Model" not in stored_bytes(hub.logo)
    assert media_files() == sorted([hub.logo.name, *org_files])
    assert err == ""


def test_an_image_the_pipeline_refuses_is_reported_and_left(committed):
    hub = InitiativeFactory(name="Svg Hub")
    stored_raw(hub, "initiative-logos/evil.png", b"<svg xmlns='http://www.w3.org/2000/svg'/>")

    with committed():
        out, err = reprocess()

    assert "1 refused" in out
    assert "Svg Hub (initiative-logos/evil.png): This image could not be read" in err
    hub.refresh_from_db()
    assert hub.logo.name == "initiative-logos/evil.png"


def test_files_no_entry_uses_are_deleted_when_asked_once_they_are_an_hour_old():
    org = OrganisationFactory()
    store_image(org, LOGO, upload(image_bytes("PNG")))
    kept = sorted(getattr(org, name).name for name in LOGO.fields)
    for name in ("logos/old.png", "logos/thumbs/old-96.png", "initiative-logos/old.jpg"):
        write(name, image_bytes("PNG"))
        age(name, hours=2)
    write("logos/just-uploaded.png", image_bytes("PNG"))

    out, _ = reprocess("--delete-orphans")

    assert "organisations: 2 file(s) no entry uses deleted." in out
    assert "initiatives: 1 file(s) no entry uses deleted." in out
    assert media_files() == sorted([*kept, "logos/just-uploaded.png"])
