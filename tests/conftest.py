import pytest


@pytest.fixture(autouse=True)
def _files_in_tmp(settings, tmp_path):
    # Uploaded logos never land in the working tree during tests.
    settings.MEDIA_ROOT = tmp_path / "media"
    # Nor does a download made for one test serve another.
    settings.DOWNLOAD_CACHE_DIR = tmp_path / "downloads"


@pytest.fixture
def reference_data(db):
    from django.core.management import call_command

    call_command("loaddata", "sectors", "care_settings", "regulatory_marks", verbosity=0)


@pytest.fixture(autouse=True)
def _empty_cache():
    # Reads are cached under the data version (core/dataversion.py). On SQLite a rolled-back test
    # hands its ids back, so two tests' data may share a version: each test starts with none cached.
    from django.core.cache import cache

    from core.pagecache import page_cache
    from organisations import facet_index

    cache.clear()
    page_cache().clear()
    facet_index.forget()


@pytest.fixture
def without_page_cache(settings):
    """For tests that read a view's context or count its queries on a repeated request: the page
    cache (core/pagecache.py) would answer the repeat without running the view."""
    settings.PAGE_CACHE_SECONDS = 0
