"""Results stay correct after edits, imports, merges and deletes, whatever makes them fast.

The directory's speed at 100,000 organisations (docs/performance.md) rests on a few shortcuts:
`Exists()` sub-queries instead of joins for the M2M filters, a denormalised `sector_names` column
for search, and grouped facet counts. Each test reads the results first (so that anything cached
is cached), changes the data the way the back office does, and reads them again.
"""

import io

import pytest
from django.db import connection
from django.http import QueryDict

from core.dataversion import read_once
from organisations.csv import import_csv
from organisations.facets import facet_counts
from organisations.filters import OrganisationFilter
from organisations.models import Organisation, Sector, Status
from tests.factories import InitiativeFactory, MembershipFactory, OrganisationFactory, SectorFactory
from tests.helpers import version_reads


def filterset(params=""):
    return OrganisationFilter(QueryDict(params))


def listed(params=""):
    return list(filterset(params).qs.values_list("name", flat=True))


def counts(facet, params=""):
    return {option["value"]: option["count"] for option in facet_counts(filterset(params))[facet]}


@pytest.fixture
def sectors(db):
    return {
        "medtech": SectorFactory(name="Medtech", slug="medtech"),
        "genomics": SectorFactory(name="Genomics", slug="genomics"),
        "imaging": SectorFactory(name="Imaging", slug="imaging"),
    }


def set_sectors(organisation, *sectors):
    """What the admin and the import do: save the row, set the sectors, refresh the search text."""
    organisation.save()
    organisation.sectors.set(sectors)
    organisation.refresh_search_names()


def test_a_sector_filter_lists_an_organisation_once_when_several_of_its_sectors_match(sectors):
    OrganisationFactory(name="Both", sectors=[sectors["medtech"], sectors["genomics"]])
    OrganisationFactory(name="One", sectors=[sectors["medtech"]])

    assert sorted(listed("sector=medtech&sector=genomics")) == ["Both", "One"]
    assert filterset("sector=medtech&sector=genomics").qs.count() == 2


def test_sector_facet_counts_follow_an_edit_of_the_sectors(sectors):
    organisation = OrganisationFactory(sectors=[sectors["medtech"]])
    OrganisationFactory(sectors=[sectors["medtech"], sectors["imaging"]])
    assert counts("sector") == {"genomics": 0, "imaging": 1, "medtech": 2}

    set_sectors(organisation, sectors["genomics"])

    assert counts("sector") == {"genomics": 1, "imaging": 1, "medtech": 1}
    assert listed("sector=genomics") == [organisation.name]


def test_facet_counts_and_results_drop_an_archived_organisation(sectors):
    archived = OrganisationFactory(name="Going", organisation_type="charity", sectors=[sectors["imaging"]])
    OrganisationFactory(name="Staying", organisation_type="company", sectors=[sectors["imaging"]])
    assert counts("sector")["imaging"] == 2
    assert counts("type")["charity"] == 1

    archived.status = Status.ARCHIVED
    archived.save()

    assert counts("sector")["imaging"] == 1
    assert counts("type")["charity"] == 0
    assert listed("sector=imaging") == ["Staying"]


def test_facet_counts_and_results_drop_a_deleted_organisation(sectors):
    deleted = OrganisationFactory(name="Deleted", employees_band="small", sectors=[sectors["medtech"]])
    OrganisationFactory(name="Kept", employees_band="small")
    assert counts("size")["small"] == 2
    assert counts("sector")["medtech"] == 1

    deleted.delete()

    assert counts("size")["small"] == 1
    assert counts("sector")["medtech"] == 0
    assert listed("size=small") == ["Kept"]


def test_a_new_published_organisation_is_counted_at_once(sectors):
    assert counts("sector")["genomics"] == 0
    assert counts("district") == {}

    OrganisationFactory(postcode="LS2 9JT", sectors=[sectors["genomics"]])

    assert counts("sector")["genomics"] == 1
    assert counts("district") == {"LS2": 1}


def test_a_facet_counts_over_the_other_filters_after_an_edit(sectors):
    organisation = OrganisationFactory(organisation_type="company", sectors=[sectors["medtech"]])
    OrganisationFactory(organisation_type="nhs", sectors=[sectors["medtech"]])
    assert counts("type", "sector=medtech") == {
        **dict.fromkeys(Organisation.Type.values, 0),
        "company": 1,
        "nhs": 1,
    }

    organisation.organisation_type = "nhs"
    set_sectors(organisation, sectors["medtech"], sectors["imaging"])

    assert counts("type", "sector=medtech")["nhs"] == 2
    assert counts("type", "sector=medtech")["company"] == 0
    # The sector facet ignores its own filter but keeps the type filter.
    assert counts("sector", "type=nhs&sector=medtech") == {"genomics": 0, "imaging": 1, "medtech": 2}


def test_search_finds_an_organisation_by_a_sector_added_later(sectors):
    organisation = OrganisationFactory(name="Quiet Labs", summary="Builds things.")
    assert listed("q=genomics") == []

    set_sectors(organisation, sectors["genomics"])

    assert listed("q=genomics") == ["Quiet Labs"]
    assert Organisation.objects.get(pk=organisation.pk).sector_names == "Genomics"


def test_search_forgets_a_sector_that_was_removed(sectors):
    organisation = OrganisationFactory(
        name="Quiet Labs", summary="Builds things.", sectors=[sectors["imaging"]]
    )
    assert listed("q=imaging") == ["Quiet Labs"]

    set_sectors(organisation)

    assert listed("q=imaging") == []
    assert Organisation.objects.get(pk=organisation.pk).sector_names == ""


def test_search_follows_a_renamed_organisation(db):
    organisation = OrganisationFactory(name="Oldname Diagnostics", summary="Tests.")
    assert listed("q=oldname") == ["Oldname Diagnostics"]

    organisation.name = "Brightwave Diagnostics"
    organisation.save()

    assert listed("q=oldname") == []
    assert listed("q=brightwave") == ["Brightwave Diagnostics"]


def test_search_drops_archived_and_deleted_organisations(db):
    archived = OrganisationFactory(name="Zephyr Health One")
    deleted = OrganisationFactory(name="Zephyr Health Two")
    OrganisationFactory(name="Zephyr Health Three")
    assert len(listed("q=zephyr")) == 3

    archived.status = Status.ARCHIVED
    archived.save()
    deleted.delete()

    assert listed("q=zephyr") == ["Zephyr Health Three"]


def test_a_csv_import_shows_in_facets_and_search_at_once(sectors):
    OrganisationFactory(name="Existing", sectors=[sectors["medtech"]])
    assert counts("sector")["genomics"] == 0
    assert listed("q=helixa") == []

    csv = (
        "name,organisation_type,status,summary,sectors,postcode\n"
        "Helixa Bio,company,published,Sequencing for the NHS,Genomics;Medtech,LS1 4AP\n"
        "Existing,company,published,,Imaging,\n"
    )
    result = import_csv(file=io.BytesIO(csv.encode()))

    assert not result.errors
    assert counts("sector") == {"genomics": 1, "imaging": 1, "medtech": 1}
    assert counts("district") == {"LS1": 1}
    assert listed("q=helixa") == ["Helixa Bio"]
    assert listed("q=imaging") == ["Existing"]


def test_a_renamed_sector_is_searchable_by_its_new_name(sectors):
    organisation = OrganisationFactory(
        name="Quiet Labs", summary="Builds things.", sectors=[sectors["imaging"]]
    )

    sector = Sector.objects.get(slug="imaging")
    sector.name = "Radiology"
    sector.save()

    assert listed("q=radiology") == [organisation.name]


# --- The facet cache (core/dataversion.py), on both databases ------------------------------------


def test_facet_counts_come_from_the_cache_while_nothing_changes(sectors, django_assert_max_num_queries):
    OrganisationFactory(sectors=[sectors["medtech"]])
    first = facet_counts(filterset("type=company"))

    with read_once(), django_assert_max_num_queries(1):  # the data version only
        again = facet_counts(filterset("type=company"))

    assert again == first


def test_a_new_membership_changes_the_cached_initiative_counts(db):
    organisation = OrganisationFactory()
    initiative = InitiativeFactory(slug="nexus", name="Nexus")
    assert counts("initiative")["nexus"] == 0

    MembershipFactory(organisation=organisation, initiative=initiative)

    assert counts("initiative")["nexus"] == 1


def test_a_renamed_or_retired_sector_shows_in_the_cached_facet(sectors):
    OrganisationFactory(sectors=[sectors["imaging"]])
    assert {o["value"]: o["label"] for o in facet_counts(filterset())["sector"]}["imaging"] == "Imaging"

    sectors["imaging"].name = "Radiology"
    sectors["imaging"].save()
    sectors["genomics"].is_active = False
    sectors["genomics"].save()

    labels = {o["value"]: o["label"] for o in facet_counts(filterset())["sector"]}
    assert labels["imaging"] == "Radiology"
    assert "genomics" not in labels


def test_a_bulk_delete_changes_the_cached_counts(sectors):
    OrganisationFactory(name="Demo A", sectors=[sectors["medtech"]])
    OrganisationFactory(name="Demo B", sectors=[sectors["medtech"]])
    assert counts("sector")["medtech"] == 2

    Organisation.objects.filter(name="Demo B").delete()

    assert counts("sector")["medtech"] == 1


def test_the_page_and_api_totals_follow_archiving_and_deleting(client, sectors):
    going = OrganisationFactory(name="Going")
    deleted = OrganisationFactory(name="Deleted")
    OrganisationFactory(name="Staying")
    assert client.get("/organisations/").context["paginator"].count == 3
    assert client.get("/api/organisations/").json()["count"] == 3

    going.status = Status.ARCHIVED
    going.save()
    deleted.delete()

    assert client.get("/organisations/").context["paginator"].count == 1
    assert client.get("/api/organisations/").json()["count"] == 1
    OrganisationFactory(name="Arriving")
    assert client.get("/organisations/").context["paginator"].count == 2
    assert client.get("/api/organisations/").json()["count"] == 2


def test_the_cached_result_count_follows_a_search_filter_and_an_edit(client, sectors):
    medtech = OrganisationFactory(name="Cardiac Devices Ltd", sectors=[sectors["medtech"]])
    OrganisationFactory(name="Cardiac Genomics Ltd", sectors=[sectors["genomics"]])
    url = "/organisations/?q=cardiac&sector=medtech"
    assert client.get(url).context["paginator"].count == 1
    assert client.get("/api/organisations/?q=cardiac").json()["count"] == 2

    set_sectors(medtech, sectors["genomics"])

    assert client.get(url).context["paginator"].count == 0
    assert client.get("/organisations/?q=cardiac&sector=genomics").context["paginator"].count == 2


@pytest.mark.usefixtures("without_page_cache")  # the view's own caches, on a repeat
def test_a_page_reads_the_data_version_once(client, sectors):
    OrganisationFactory.create_batch(3, sectors=[sectors["medtech"]])
    from django.test.utils import CaptureQueriesContext

    client.get("/organisations/?sector=medtech")
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/organisations/?sector=medtech")
    assert response.context["paginator"].count == 3
    assert len(version_reads(queries)) == 1
    assert not [q for q in queries.captured_queries if q["sql"].startswith("SELECT COUNT(*)")]


def test_the_home_page_counts_follow_a_new_organisation_and_a_retired_sector(client, sectors):
    OrganisationFactory(sectors=[sectors["medtech"]])
    response = client.get("/")
    assert response.context["organisation_count"] == 1
    assert [s.slug for s in response.context["sectors"]] == ["medtech"]

    OrganisationFactory(sectors=[sectors["genomics"]])
    sectors["medtech"].is_active = False
    sectors["medtech"].save()

    response = client.get("/")
    assert response.context["organisation_count"] == 2
    assert [s.slug for s in response.context["sectors"]] == ["genomics"]


def test_the_cached_page_follows_a_rename_and_an_archive(client, sectors):
    first = OrganisationFactory(name="Alpha Health")
    OrganisationFactory(name="Beta Health")
    names = lambda: [o.name for o in client.get("/organisations/").context["page_obj"]]  # noqa: E731
    api_names = lambda: [o["name"] for o in client.get("/api/organisations/").json()["results"]]  # noqa: E731
    assert names() == api_names() == ["Alpha Health", "Beta Health"]

    first.name = "Zeta Health"
    first.save()
    assert names() == api_names() == ["Beta Health", "Zeta Health"]

    first.status = Status.ARCHIVED
    first.save()
    assert names() == api_names() == ["Beta Health"]


@pytest.mark.usefixtures("without_page_cache")  # the view's own caches, on a repeat
def test_a_repeated_search_reads_only_its_page_rows(client, sectors):
    OrganisationFactory.create_batch(25, sectors=[sectors["medtech"]], summary="Cardiac monitoring.")
    from django.test.utils import CaptureQueriesContext

    first = [o.pk for o in client.get("/organisations/?q=cardiac").context["page_obj"]]
    with CaptureQueriesContext(connection) as queries:
        again = [o.pk for o in client.get("/organisations/?q=cardiac").context["page_obj"]]
    assert again == first and len(first) == 20
    row_reads = [q["sql"] for q in queries.captured_queries if "LIMIT 20" in q["sql"]]
    assert not row_reads, "a cached page reads its rows by id, not by ranking every match"


def test_the_home_page_member_counts_follow_a_new_membership_and_an_archive(client, db):
    hub = InitiativeFactory(name="Nexus", slug="nexus")
    member = MembershipFactory(initiative=hub).organisation
    assert [i.member_count for i in client.get("/").context["initiatives"]] == [1]

    MembershipFactory(initiative=hub)
    member.status = Status.ARCHIVED
    member.save()

    assert [i.member_count for i in client.get("/").context["initiatives"]] == [1]
    MembershipFactory(initiative=hub)
    assert [i.member_count for i in client.get("/").context["initiatives"]] == [2]
