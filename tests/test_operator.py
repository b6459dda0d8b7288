"""Who runs the directory comes from settings, is shown on the about, privacy and accessibility pages and
in the footer, and a placeholder address is never shown once debug is off."""

import pytest
from django.core import checks

from hubdir.operator import is_placeholder

pytestmark = pytest.mark.django_db

PAGES = ["/", "/about/", "/privacy/", "/accessibility/", "/organisations/"]


@pytest.fixture
def operator(settings):
    settings.DIRECTORY_OPERATOR_NAME = "Leeds Health Tech Directory Ltd"
    settings.DIRECTORY_CONTACT_EMAIL = "hello@example.org"
    settings.DIRECTORY_DATA_PROTECTION_EMAIL = "privacy@example.org"
    return settings


def text(client, path):
    response = client.get(path)
    assert response.status_code == 200, path
    return response.content.decode()


def test_the_about_page_names_the_operator_and_how_to_reach_them(client, operator):
    page = text(client, "/about/")
    assert "The directory is run by Leeds Health Tech Directory Ltd" in page
    assert 'href="mailto:hello@example.org"' in page


def test_the_privacy_notice_names_the_data_controller_and_its_contact(client, operator):
    page = text(client, "/privacy/")
    assert "Leeds Health Tech Directory Ltd runs the directory and is the data controller" in page
    assert 'href="mailto:privacy@example.org"' in page
    assert 'href="mailto:hello@example.org"' in page


def test_the_accessibility_statement_and_the_footer_name_the_operator(client, operator):
    page = text(client, "/accessibility/")
    assert "Leeds Health Tech Directory Ltd runs this directory" in page
    assert 'href="mailto:hello@example.org"' in page
    footer = text(client, "/")[text(client, "/").index('<footer class="site-footer">') :]
    assert "run by Leeds Health Tech Directory Ltd" in footer
    assert 'href="mailto:hello@example.org"' in footer


@pytest.mark.parametrize("email", ["directory@leedshealthtech.example", "x@directory.test", "a@localhost"])
def test_a_placeholder_address_is_never_shown_with_debug_off(client, settings, email):
    settings.DEBUG = False
    settings.DIRECTORY_CONTACT_EMAIL = email
    settings.DIRECTORY_DATA_PROTECTION_EMAIL = email
    for path in PAGES:
        page = text(client, path)
        assert email not in page, path
        assert ".example" not in page.replace("example.org", ""), path


def test_without_an_address_the_pages_point_to_the_suggestion_form(client, settings):
    settings.DEBUG = False
    settings.DIRECTORY_OPERATOR_NAME = ""
    settings.DIRECTORY_CONTACT_EMAIL = ""
    settings.DIRECTORY_DATA_PROTECTION_EMAIL = ""
    assert 'href="/suggest/"' in text(client, "/about/").split('id="contact"')[1]
    assert "mailto:" not in text(client, "/privacy/")
    assert "suggestion form" in text(client, "/accessibility/")


def test_with_debug_on_the_development_placeholder_is_shown(client, settings):
    settings.DEBUG = True
    settings.DIRECTORY_CONTACT_EMAIL = "directory@leedshealthtech.example"
    assert "directory@leedshealthtech.example" in text(client, "/about/")


def test_placeholders_are_the_reserved_test_domains():
    assert is_placeholder("directory@leedshealthtech.example")
    assert is_placeholder("a@b.invalid") and is_placeholder("a@localhost") and is_placeholder("nobody")
    assert not is_placeholder("hello@example.org")
    assert not is_placeholder("data@leeds.gov.uk")


def deploy_warnings():
    return {message.id for message in checks.run_checks(include_deployment_checks=True)} & {
        "hubdir.W001",
        "hubdir.W002",
        "hubdir.W003",
    }


def test_check_deploy_warns_when_the_operator_is_unset_or_a_placeholder(settings):
    settings.DIRECTORY_OPERATOR_NAME = ""
    settings.DIRECTORY_CONTACT_EMAIL = "directory@leedshealthtech.example"
    settings.DIRECTORY_DATA_PROTECTION_EMAIL = ""
    assert deploy_warnings() == {"hubdir.W001", "hubdir.W002", "hubdir.W003"}


def test_check_deploy_is_quiet_once_the_operator_is_set(operator):
    assert deploy_warnings() == set()
    assert not {m.id for m in checks.run_checks()} & {"hubdir.W001", "hubdir.W002", "hubdir.W003"}
