"""Responsive layout: no horizontal scrolling at 320 px, and screenshots of every public page at phone
and desktop widths for a person to look at (written to test-artifacts/screenshots/)."""

import pytest

from .helpers import DESKTOP, NARROWEST, PHONE, PUBLIC_PAGES, open_public_page, screenshot

pytestmark = pytest.mark.e2e

OVERFLOW_JS = """() => {
    const width = document.documentElement.clientWidth;
    const wide = [...document.querySelectorAll('body *')]
        .filter(el => el.getBoundingClientRect().right > width + 1)
        .slice(0, 5)
        .map(el => el.tagName.toLowerCase() + (el.className ? '.' + String(el.className).split(' ')[0] : ''));
    return {scrollWidth: document.documentElement.scrollWidth, wide};
}"""

# Images whose box has another shape than the picture, with nothing (object-fit) to keep it in proportion.
STRETCHED_IMAGES_JS = """() => [...document.images]
    .filter(img => img.complete && img.naturalWidth > 0 && img.getBoundingClientRect().width > 0)
    .filter(img => !['contain', 'cover', 'scale-down'].includes(getComputedStyle(img).objectFit))
    .filter(img => {
        const box = img.getBoundingClientRect();
        const natural = img.naturalWidth / img.naturalHeight;
        return Math.abs(box.width / box.height - natural) / natural > 0.03;
    })
    .map(img => img.currentSrc)"""


@pytest.mark.parametrize("name", list(PUBLIC_PAGES))
def test_every_public_page_fits_320_pixels_and_is_photographed_at_375_and_1280(
    site, new_context, name, subtests
):
    with subtests.test(msg="no horizontal scrolling at 320px"):
        page = new_context(viewport=NARROWEST).new_page()
        path = open_public_page(page, name)
        layout = page.evaluate(OVERFLOW_JS)
        assert layout["scrollWidth"] <= 320, (
            f"{path} is {layout['scrollWidth']}px wide at 320px: {layout['wide']}"
        )
    for label, viewport in (("375", PHONE), ("1280", DESKTOP)):
        with subtests.test(msg=f"screenshot at {label}px, images in proportion"):
            page = new_context(viewport=viewport).new_page()
            open_public_page(page, name)
            shot = screenshot(page, f"{name}-{label}")
            assert shot.stat().st_size > 0
            assert page.evaluate(STRETCHED_IMAGES_JS) == [], f"stretched images on {name} at {label}px"
