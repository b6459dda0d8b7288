import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from initiatives.models import Initiative, Membership
from organisations.models import Contact, Organisation, OrganisationSlugRedirect, Status

from .factories import ContactFactory, InitiativeFactory, MembershipFactory, OrganisationFactory

pytestmark = pytest.mark.django_db


def full_clean_errors(obj):
    with pytest.raises(ValidationError) as excinfo:
        obj.full_clean()
    return excinfo.value.message_dict


def test_it_normalises_a_postcode_and_derives_its_district():
    org = OrganisationFactory.build(postcode=" ls14ap ")
    org.full_clean()
    org.save()
    org.refresh_from_db()
    assert org.postcode == "LS1 4AP"
    assert org.postcode_district == "LS1"


def test_it_derives_the_district_of_a_two_digit_outward_code_on_save_alone():
    org = OrganisationFactory(postcode="ls196ba")
    assert (org.postcode, org.postcode_district) == ("LS19 6BA", "LS19")


@pytest.mark.parametrize("value", ["LS1", "12345", "LS1 4AP X", "QQ1 1CC", "LS1 4CI"])
def test_it_rejects_an_invalid_postcode_with_a_clear_message(value):
    errors = full_clean_errors(OrganisationFactory.build(postcode=value))
    assert errors["postcode"] == ["Enter a valid UK postcode, such as LS1 4AP."]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2117205", "02117205"),
        ("03802593", "03802593"),
        ("sc123456", "SC123456"),
        (" 0380 2593 ", "03802593"),
    ],
)
def test_it_normalises_companies_house_numbers(value, expected):
    org = OrganisationFactory.build(companies_house_number=value)
    org.full_clean()
    assert org.companies_house_number == expected


@pytest.mark.parametrize("value", ["123", "123456789", "S1234567", "ABC12345", "12-45678"])
def test_it_rejects_an_invalid_companies_house_number(value):
    errors = full_clean_errors(OrganisationFactory.build(companies_house_number=value))
    assert "Companies House number of 8 characters" in errors["companies_house_number"][0]


def test_it_accepts_and_uppercases_an_ods_code():
    org = OrganisationFactory.build(organisation_type="nhs", ods_code="rr8")
    org.full_clean()
    assert org.ods_code == "RR8"


@pytest.mark.parametrize("value", ["R8", "RR8-01", "ABCDEFG"])
def test_it_rejects_an_invalid_ods_code(value):
    errors = full_clean_errors(OrganisationFactory.build(ods_code=value))
    assert errors["ods_code"] == ["Enter an NHS ODS code of 3 to 6 letters and digits, such as RR8."]


def test_it_rejects_a_founded_year_in_the_future():
    next_year = datetime.date.today().year + 1
    errors = full_clean_errors(OrganisationFactory.build(founded_year=next_year))
    assert errors["founded_year"] == [
        f"The founded year cannot be later than this year ({datetime.date.today().year})."
    ]


def test_it_rejects_a_founded_year_before_1800():
    errors = full_clean_errors(OrganisationFactory.build(founded_year=1799))
    assert errors["founded_year"] == ["The founded year must be 1800 or later."]


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "ftp://example.org/file", "data:text/html,hi", "http://[]", "https://[::1"]
)
def test_it_accepts_only_http_and_https_websites(url):
    errors = full_clean_errors(OrganisationFactory.build(website=url))
    assert any("http://" in message or "valid" in message for message in errors["website"])


def test_it_accepts_an_https_website():
    organisation = OrganisationFactory.build(website="https://www.leedsth.nhs.uk")
    organisation.full_clean()
    assert organisation.website == "https://www.leedsth.nhs.uk"


def test_a_public_contact_needs_a_consent_date():
    org = OrganisationFactory()
    contact = Contact(organisation=org, name="Jo Bloggs", is_public=True)
    errors = full_clean_errors(contact)
    assert errors["consent_recorded_on"] == ["Record the date of consent before making a contact public."]


def test_the_database_refuses_a_public_contact_without_consent():
    org = OrganisationFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Contact.objects.create(organisation=org, name="Jo Bloggs", is_public=True)


def test_the_database_refuses_a_contact_with_two_owners():
    org, initiative = OrganisationFactory(), InitiativeFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Contact.objects.create(organisation=org, initiative=initiative, name="Jo Bloggs")


def test_the_database_refuses_a_contact_without_an_owner():
    with pytest.raises(IntegrityError), transaction.atomic():
        Contact.objects.create(name="Jo Bloggs")


def test_a_contact_may_belong_to_an_initiative():
    initiative = InitiativeFactory()
    contact = ContactFactory(organisation=None, initiative=initiative)
    contact.full_clean()
    assert list(initiative.contacts.all()) == [contact]


def test_the_database_refuses_a_duplicate_slug():
    OrganisationFactory(slug="emis")
    with pytest.raises(IntegrityError), transaction.atomic():
        Organisation.objects.bulk_create([Organisation(name="Another EMIS", slug="emis")])


def test_the_database_refuses_a_duplicate_companies_house_number():
    OrganisationFactory(companies_house_number="02117205")
    with pytest.raises(IntegrityError), transaction.atomic():
        OrganisationFactory(companies_house_number="02117205")


def test_many_organisations_may_have_no_companies_house_number():
    OrganisationFactory(companies_house_number="")
    OrganisationFactory(companies_house_number="")
    assert Organisation.objects.filter(companies_house_number="").count() == 2


def test_full_clean_reports_a_duplicate_companies_house_number_clearly():
    OrganisationFactory(companies_house_number="02117205")
    errors = full_clean_errors(OrganisationFactory.build(companies_house_number="2117205"))
    assert "Another organisation already has this Companies House number." in str(errors)


def test_the_database_refuses_a_founded_year_out_of_bounds():
    with pytest.raises(IntegrityError), transaction.atomic():
        Organisation.objects.bulk_create([Organisation(name="Too old", slug="too-old", founded_year=1700)])


def test_the_database_refuses_a_duplicate_membership():
    membership = MembershipFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(organisation=membership.organisation, initiative=membership.initiative)


def test_it_derives_a_unique_slug_from_the_name():
    first = OrganisationFactory(name="Leeds Teaching Hospitals NHS Trust")
    second = OrganisationFactory(name="Leeds Teaching Hospitals NHS Trust")
    assert first.slug == "leeds-teaching-hospitals-nhs-trust"
    assert second.slug == "leeds-teaching-hospitals-nhs-trust-2"


def test_it_remembers_an_old_slug_when_the_slug_changes():
    org = OrganisationFactory(name="HSCIC", slug="hscic")
    org.slug = "nhs-digital"
    org.save()
    assert OrganisationSlugRedirect.objects.get(old_slug="hscic").organisation == org


def test_a_new_entry_taking_an_old_slug_replaces_the_redirect():
    org = OrganisationFactory(slug="old-name")
    org.slug = "new-name"
    org.save()
    OrganisationFactory(slug="old-name")
    assert not OrganisationSlugRedirect.objects.filter(old_slug="old-name").exists()


def test_published_shows_only_published_organisations():
    published = OrganisationFactory(status=Status.PUBLISHED)
    OrganisationFactory(status=Status.DRAFT)
    OrganisationFactory(status=Status.ARCHIVED)
    assert list(Organisation.objects.published()) == [published]


def test_published_shows_only_published_initiatives():
    published = InitiativeFactory(status=Status.PUBLISHED)
    InitiativeFactory(status=Status.DRAFT)
    InitiativeFactory(status=Status.ARCHIVED)
    assert list(Initiative.objects.published()) == [published]


def test_new_organisations_start_as_drafts():
    assert Organisation(name="New").status == Status.DRAFT


def test_public_contacts_exclude_private_ones():
    org = OrganisationFactory()
    public = ContactFactory(organisation=org, is_public=True, consent_recorded_on=datetime.date(2026, 1, 5))
    ContactFactory(organisation=org, is_public=False)
    assert list(org.public_contacts()) == [public]


def test_refresh_sector_names_copies_sector_names_for_search(reference_data):
    from organisations.models import Sector

    org = OrganisationFactory()
    org.sectors.set(Sector.objects.filter(slug__in=["medtech", "diagnostics"]))
    org.refresh_sector_names()
    org.refresh_from_db()
    assert org.sector_names == "Diagnostics Medtech"


def test_publishing_stamps_published_at_once():
    org = OrganisationFactory(status=Status.DRAFT)
    assert org.published_at is None
    org.status = Status.PUBLISHED
    org.save()
    first = org.published_at
    org.save()
    assert first is not None and org.published_at == first
