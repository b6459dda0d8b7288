import io

import pytest
from PIL import Image

pytestmark = pytest.mark.django_db


def write(settings, name, content):
    path = settings.MEDIA_ROOT / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)


def png_bytes():
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "teal").save(buffer, "PNG")
    return buffer.getvalue()


def test_it_serves_an_uploaded_image_with_nosniff_and_a_sandbox(client, settings):
    write(settings, "logos/abc.png", png_bytes())
    response = client.get("/media/logos/abc.png")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]


@pytest.mark.parametrize("name", ["logos/page.html", "logos/image.svg", "logos/script.js", "logos/noext"])
def test_it_never_serves_anything_that_could_run_in_a_browser(client, settings, name):
    write(settings, name, b"<script>alert(1)</script>")
    assert client.get(f"/media/{name}").status_code == 404


def test_it_refuses_paths_outside_the_media_root(client, settings, tmp_path):
    (tmp_path / "secret.png").write_bytes(png_bytes())
    settings.MEDIA_ROOT.mkdir(parents=True, exist_ok=True)
    assert client.get("/media/../secret.png").status_code == 404
    assert client.get("/media/%2e%2e/secret.png").status_code == 404


def test_it_answers_404_for_a_missing_file(client):
    assert client.get("/media/logos/missing.png").status_code == 404
