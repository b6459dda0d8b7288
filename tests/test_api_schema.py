"""Schemathesis against /api/schema/: generated requests never get a 5xx nor a response outside the schema."""

import datetime

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from organisations.models import Status
from tests.factories import (
    CareSettingFactory,
    ContactFactory,
    InitiativeFactory,
    KeyFigureFactory,
    MembershipFactory,
    OrganisationFactory,
    RegulatoryMarkFactory,
    SectorFactory,
)

pytestmark = pytest.mark.schemathesis


# The schema is generated from the code alone (no database), so it can be loaded at collection time.
# Django's own WSGI handler, not hubdir.wsgi: that one also starts the facet index's warm-up, which
# would reach for the database outside any test.
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())


@pytest.fixture(autouse=True)
def keep_the_test_connection():
    """As Django's test client does: the WSGI app must not close the connection holding the test's data."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(autouse=True)
def directory(db):
    """A small directory with every relation filled in, so that responses have something to check."""
    medtech = SectorFactory(name="Medtech", slug="medtech")
    hospital = CareSettingFactory(name="Hospital", slug="hospital")
    mark = RegulatoryMarkFactory(name="UKCA class I", slug="ukca-class-i")
    initiative = InitiativeFactory(name="Nexus", slug="nexus")
    parent = OrganisationFactory(name="University of Leeds", organisation_type="university")
    initiative.hosts.add(parent)
    for n in range(25):
        organisation = OrganisationFactory(
            sectors=[medtech],
            parent=parent if n % 5 == 0 else None,
            founded_year=1990 + n,
            employees_band="small" if n % 2 else "",
            postcode="LS1 4AP" if n % 3 else "",
            email=f"info{n}@example.org" if n % 4 == 0 else "",
        )
        organisation.care_settings.add(hospital)
        organisation.regulatory_marks.add(mark)
        if n % 2:
            MembershipFactory(
                organisation=organisation, initiative=initiative, since=datetime.date(2020, 1, 1)
            )
    ContactFactory(organisation=parent, is_public=True, consent_recorded_on=datetime.date(2025, 1, 1))
    archived = OrganisationFactory(name="Gone Ltd")
    archived.status = Status.ARCHIVED
    archived.save()
    KeyFigureFactory(initiative=initiative)


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_answers_generated_requests_within_its_schema(case):
    case.call_and_validate(checks=[not_a_server_error, response_schema_conformance])
