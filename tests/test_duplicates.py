import pytest
from django.urls import reverse

from organisations.duplicates import (
    Entry,
    Reason,
    clean_name,
    find_duplicates,
    likely_twins,
    name_similarity,
    website_key,
)
from organisations.models import Organisation, Submission
from tests.factories import OrganisationFactory

NOT_TWINS = [
    ("Leeds Teaching Hospitals NHS Trust", "Leeds Community Healthcare NHS Trust"),
    ("Bradford Teaching Hospitals NHS Foundation Trust", "Bradford District Care NHS Foundation Trust"),
    ("University of Leeds", "University of York"),
    ("University of Leeds", "Leeds Trinity University"),
    ("Leeds Beckett University", "Leeds Trinity University"),
    ("Leeds Teaching Hospitals NHS Trust", "Leeds Hospitals Charity"),
    ("GAMA Healthcare", "Radar Healthcare (Smartgate Solutions Ltd)"),
    ("Health Innovation Yorkshire & Humber", "West Yorkshire Innovation Hub"),
]
TWINS = [
    ("Pharmacy2U", "Pharmacy2U Ltd"),
    ("Pharmacy2U", "Pharmacy 2U Limited"),
    ("Avacta Group", "Avacta Group plc"),
    ("Tunstall Healthcare", "Tunstall Health Care Ltd"),
    ("Leeds Teaching Hospitals NHS Trust", "Leeds Teaching Hospital"),
]


def test_names_lose_legal_and_nhs_suffixes_punctuation_and_case():
    assert clean_name("Leeds Teaching Hospitals NHS Trust") == "leeds hospitals"
    assert clean_name("Bradford District Care NHS Foundation Trust") == "bradford district care"
    assert clean_name("Pharmacy2U Ltd.") == "pharmacy2u"
    assert clean_name("Thornton & Ross") == "thornton ross"
    assert clean_name("EMIS (Egton Medical Information Systems Ltd)") == "emis"


@pytest.mark.parametrize(("a", "b"), NOT_TWINS)
def test_different_organisations_with_similar_names_are_not_twins(a, b):
    assert name_similarity(a, b) < 0.6
    assert find_duplicates([Entry(1, a), Entry(2, b)]) == {}


@pytest.mark.parametrize(("a", "b"), TWINS)
def test_the_same_organisation_written_differently_is_a_twin(a, b):
    assert name_similarity(a, b) >= 0.6
    assert find_duplicates([Entry(1, a), Entry(2, b)]) == {1: {2: Reason.NAME}, 2: {1: Reason.NAME}}


def test_website_hosts_compare_without_www_and_path_but_never_by_shared_parent_domain():
    assert website_key("https://www.avacta.com") == website_key("https://avacta.com/about") == "avacta.com"
    assert website_key("https://www.leedsth.nhs.uk") != website_key(
        "https://www.leedscommunityhealthcare.nhs.uk"
    )
    assert website_key("https://www.leeds.ac.uk") != website_key("https://www.york.ac.uk")
    assert website_key("https://www.linkedin.com/company/a") != website_key("https://linkedin.com/company/b")
    assert website_key("") == ""


def test_same_website_or_companies_house_number_makes_twins():
    found = find_duplicates(
        [
            Entry(1, "Avacta Group", "https://www.avacta.com"),
            Entry(2, "Affimer Technologies", "https://avacta.com/about"),
            Entry(3, "Egton Medical Information Systems", "", "02117205"),
            Entry(4, "EMIS", "", "02117205"),
            Entry(5, "Leeds Teaching Hospitals NHS Trust", "https://www.leedsth.nhs.uk"),
            Entry(6, "Leeds Community Healthcare NHS Trust", "https://www.leedscommunityhealthcare.nhs.uk"),
        ]
    )
    assert found == {
        1: {2: Reason.WEBSITE},
        2: {1: Reason.WEBSITE},
        3: {4: Reason.COMPANIES_HOUSE},
        4: {3: Reason.COMPANIES_HOUSE},
    }


def test_a_department_sharing_its_parents_website_is_not_a_twin():
    found = find_duplicates(
        [
            Entry(1, "University of Bradford", "https://www.bradford.ac.uk"),
            Entry(2, "Institute of Cancer Therapeutics", "https://www.bradford.ac.uk", parent_id=1),
            Entry(3, "Digital Health Enterprise Zone", "https://www.bradford.ac.uk/dhez", parent_id=1),
        ]
    )
    assert found == {}


def test_blocking_still_finds_twins_among_many_names():
    names = [f"Company {word} Analytics" for word in ("Alpha", "Bravo", "Charlie", "Delta", "Echo")] * 60
    entries = [Entry(i, name) for i, name in enumerate(names)]
    entries.append(Entry(1000, "Quartzline Diagnostics"))
    entries.append(Entry(1001, "Quartzline Diagnostics Ltd"))
    found = find_duplicates(entries)
    assert found[1000] == {1001: Reason.NAME}
    assert all(found[i] for i in range(len(names)))


@pytest.mark.django_db
def test_likely_twins_of_a_stored_organisation():
    pharmacy = OrganisationFactory(name="Pharmacy2U", website="https://www.pharmacy2u.co.uk")
    twin = OrganisationFactory(name="Pharmacy 2U Limited", website="")
    same_site = OrganisationFactory(name="P2U Online", website="https://pharmacy2u.co.uk/shop")
    OrganisationFactory(name="Leeds Community Healthcare NHS Trust")
    merged = OrganisationFactory(name="Pharmacy2U Ltd", merged_into=pharmacy, status="archived")
    assert likely_twins(pharmacy) == [(same_site, Reason.WEBSITE), (twin, Reason.NAME)]
    assert merged not in [org for org, _ in likely_twins(twin)]


@pytest.mark.django_db
def test_real_leeds_pairs_are_not_flagged_in_admin(client, django_user_model):
    ltht = OrganisationFactory(
        name="Leeds Teaching Hospitals NHS Trust", website="https://www.leedsth.nhs.uk"
    )
    lch = OrganisationFactory(
        name="Leeds Community Healthcare NHS Trust", website="https://www.leedscommunityhealthcare.nhs.uk"
    )
    OrganisationFactory(name="University of Leeds", website="https://www.leeds.ac.uk")
    OrganisationFactory(name="University of York", website="https://www.york.ac.uk")
    avacta = OrganisationFactory(name="Avacta Group", website="https://www.avacta.com")
    avacta_twin = OrganisationFactory(name="Avacta", website="https://avacta.com/about")
    client.force_login(django_user_model.objects.create_superuser("root", "r@example.org", "unused-pw"))

    changelist = reverse("admin:organisations_organisation_changelist")
    shown = list(client.get(changelist, {"duplicates": "yes"}).context["cl"].result_list)
    assert sorted(org.pk for org in shown) == sorted([avacta.pk, avacta_twin.pk])

    page = client.get(reverse("admin:organisations_organisation_change", args=[avacta.pk])).content.decode()
    assert "This may be a duplicate of" in page
    assert reverse("admin:organisations_organisation_change", args=[avacta_twin.pk]) in page
    for org in (ltht, lch):
        page = client.get(reverse("admin:organisations_organisation_change", args=[org.pk])).content.decode()
        assert "This may be a duplicate of" not in page


@pytest.mark.django_db
def test_the_admin_filter_copes_with_more_flagged_rows_than_sqlite_takes_variables(
    client, django_user_model, monkeypatch
):
    import sqlite3

    from django.db import connection

    from organisations import duplicates

    avacta = OrganisationFactory(name="Avacta Group")
    flagged = {avacta.pk: {}, **{pk: {} for pk in range(10**6, 10**6 + 40_000)}}
    monkeypatch.setattr(duplicates, "likely_duplicate_map", lambda: flagged)
    client.force_login(django_user_model.objects.create_superuser("root", "r@example.org", "unused-pw"))
    limit = None
    if connection.vendor == "sqlite":
        # SQLite's default build takes 32,766 bound variables; some Python builds allow more.
        connection.ensure_connection()
        limit = connection.connection.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 32_766)
    try:
        response = client.get(reverse("admin:organisations_organisation_changelist"), {"duplicates": "yes"})
    finally:
        if limit is not None:
            connection.connection.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, limit)

    assert response.status_code == 200
    assert [org.pk for org in response.context["cl"].result_list] == [avacta.pk]


# --- Alternative and registered names ---------------------------------------------------------------


def test_an_alternative_or_registered_name_matching_another_entry_makes_twins():
    entries = [
        Entry(1, "NHS Digital", alternative_names="HSCIC"),
        Entry(2, "HSCIC"),
        Entry(3, "Radar Healthcare", legal_name="Smartgate Solutions Ltd"),
        Entry(4, "Smartgate Solutions"),
        Entry(5, "EMIS", alternative_names="EMIS Health; EMIS Web"),
        Entry(6, "Optum", alternative_names="EMIS Web"),
    ]
    found = find_duplicates(entries)
    assert found[1] == {2: Reason.OTHER_NAME}
    assert found[3] == {4: Reason.OTHER_NAME}
    assert found[5] == {6: Reason.OTHER_NAME}


def test_an_entry_is_never_its_own_twin_through_its_own_names():
    assert find_duplicates([Entry(1, "Nexus", alternative_names="Nexus (University of Leeds)")]) == {}


@pytest.mark.django_db
def test_likely_twins_finds_an_entry_by_its_alternative_name():
    digital = OrganisationFactory(name="NHS Digital", alternative_names="HSCIC", website="")
    probe = OrganisationFactory.build(name="HSCIC", website="")
    assert likely_twins(probe) == [(digital, Reason.OTHER_NAME)]


# --- Stopped before they go live ----------------------------------------------------------------------


@pytest.fixture
def admin_client(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("root", "r@example.org", "unused-pw"))
    return client


def add_form_data(**fields):
    return {
        "organisation_type": "company",
        "status": "draft",
        "lifecycle": "current",
        "contacts-TOTAL_FORMS": 0,
        "contacts-INITIAL_FORMS": 0,
        "memberships-TOTAL_FORMS": 0,
        "memberships-INITIAL_FORMS": 0,
        **fields,
    }


@pytest.mark.django_db
def test_the_add_form_warns_with_links_and_saves_only_once_confirmed(admin_client):
    pharmacy = OrganisationFactory(name="Pharmacy2U", website="https://www.pharmacy2u.co.uk")
    url = reverse("admin:organisations_organisation_add")
    data = add_form_data(name="Pharmacy 2U", website="https://pharmacy2u.co.uk/")

    response = admin_client.post(url, data)

    assert response.status_code == 200
    page = response.content.decode()
    assert "This looks like a duplicate of" in page
    assert reverse("admin:organisations_organisation_change", args=[pharmacy.pk]) in page
    assert 'name="confirm_not_duplicate"' in page
    assert not Organisation.objects.filter(name="Pharmacy 2U").exists()

    response = admin_client.post(url, {**data, "confirm_not_duplicate": "yes"})
    assert response.status_code == 302
    assert Organisation.objects.filter(name="Pharmacy 2U").exists()


@pytest.mark.django_db
def test_an_entry_with_no_twin_is_added_without_a_question(admin_client):
    OrganisationFactory(name="Pharmacy2U", website="https://www.pharmacy2u.co.uk")
    response = admin_client.post(
        reverse("admin:organisations_organisation_add"),
        add_form_data(name="Tunstall Healthcare", website="https://www.tunstall.co.uk"),
    )
    assert response.status_code == 302


@pytest.mark.django_db
def test_publishing_a_draft_twin_from_its_change_form_needs_the_confirmation(admin_client):
    OrganisationFactory(name="Pharmacy2U", website="https://www.pharmacy2u.co.uk")
    draft = OrganisationFactory(name="Online Chemist", status="draft", website="")
    url = reverse("admin:organisations_organisation_change", args=[draft.pk])
    data = add_form_data(
        name=draft.name, slug=draft.slug, status="published", website="https://pharmacy2u.co.uk"
    )

    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "same website" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == "draft"

    response = admin_client.post(url, {**data, "confirm_not_duplicate": "yes"})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == "published"


@pytest.mark.django_db
def test_the_publish_action_asks_before_publishing_a_likely_duplicate(admin_client):
    OrganisationFactory(name="Pharmacy2U", website="https://www.pharmacy2u.co.uk")
    twin = OrganisationFactory(name="Pharmacy 2U", status="draft", website="")
    other = OrganisationFactory(name="Tunstall Healthcare", status="draft", website="")
    url = reverse("admin:organisations_organisation_changelist")
    selection = {"action": "publish", "_selected_action": [twin.pk, other.pk]}

    page = admin_client.post(url, selection)
    assert page.status_code == 200
    text = page.content.decode()
    assert "may already be in the directory" in text
    assert reverse("admin:organisations_organisation_change", args=[twin.pk]) in text
    assert "Publish anyway (2)" in text and "Publish only the 1 without a likely duplicate" in text
    assert set(Organisation.objects.filter(status="published").values_list("name", flat=True)) == {
        "Pharmacy2U"
    }

    admin_client.post(
        url, {"action": "publish", "_selected_action": [other.pk], "duplicates_confirmed": "yes"}
    )
    other.refresh_from_db()
    twin.refresh_from_db()
    assert (other.status, twin.status) == ("published", "draft")

    admin_client.post(url, {**selection, "duplicates_confirmed": "yes"})
    twin.refresh_from_db()
    assert twin.status == "published"


@pytest.mark.django_db
def test_a_suggested_organisation_shows_the_entry_it_may_duplicate(admin_client):
    pharmacy = OrganisationFactory(name="Pharmacy2U")
    submission = Submission.objects.create(
        kind=Submission.Kind.NEW, proposed={"name": "Pharmacy 2U Ltd", "website": "https://example.org/p2u"}
    )
    page = admin_client.get(
        reverse("admin:organisations_submission_change", args=[submission.pk])
    ).content.decode()
    assert "This organisation may already be in the directory" in page
    assert reverse("admin:organisations_organisation_change", args=[pharmacy.pk]) in page


@pytest.mark.django_db
def test_a_merged_organisation_is_still_an_entry_a_new_one_may_repeat():
    england = OrganisationFactory(name="NHS England", website="")
    digital = OrganisationFactory(
        name="NHS Digital", alternative_names="HSCIC", lifecycle="merged", merged_into=england, website=""
    )
    probe = OrganisationFactory.build(name="HSCIC", website="")
    assert likely_twins(probe) == [(digital, Reason.OTHER_NAME)]
