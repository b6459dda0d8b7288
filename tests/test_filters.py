import pytest
from django.http import QueryDict

from organisations.filters import Q_MAX_LENGTH, OrganisationFilter, StrictOrganisationFilter
from organisations.models import Organisation, Status
from tests.factories import (
    CareSettingFactory,
    InitiativeFactory,
    MembershipFactory,
    OrganisationFactory,
    RegulatoryMarkFactory,
    SectorFactory,
)

pytestmark = pytest.mark.django_db


def names(query, **kwargs):
    filterset = OrganisationFilter(QueryDict(query), **kwargs)
    return [organisation.name for organisation in filterset.qs]


@pytest.fixture
def sectors():
    return SectorFactory(name="Medtech", slug="medtech"), SectorFactory(name="Genomics", slug="genomics")


def test_it_lists_only_published_organisations():
    OrganisationFactory(name="Shown")
    OrganisationFactory(name="Draft", status=Status.DRAFT)
    OrganisationFactory(name="Archived", status=Status.ARCHIVED)
    assert names("") == ["Shown"]


def test_repeated_sector_values_are_or_and_list_each_organisation_once(sectors):
    medtech, genomics = sectors
    OrganisationFactory(name="Both", sectors=[medtech, genomics])
    OrganisationFactory(name="Medtech only", sectors=[medtech])
    OrganisationFactory(name="Genomics only", sectors=[genomics])
    OrganisationFactory(name="Neither")
    assert names("sector=medtech&sector=genomics") == ["Both", "Genomics only", "Medtech only"]
    assert names("sector=medtech") == ["Both", "Medtech only"]


def test_different_filters_are_and(sectors):
    medtech, _ = sectors
    OrganisationFactory(name="Medtech NHS", sectors=[medtech], organisation_type=Organisation.Type.NHS)
    OrganisationFactory(name="Medtech company", sectors=[medtech])
    OrganisationFactory(name="Other NHS", organisation_type=Organisation.Type.NHS)
    assert names("sector=medtech&type=nhs") == ["Medtech NHS"]


def test_initiative_filter_uses_published_initiatives_only():
    nexus = InitiativeFactory(name="Nexus", slug="nexus")
    hidden = InitiativeFactory(name="Hidden", slug="hidden", status=Status.DRAFT)
    member = OrganisationFactory(name="Member")
    MembershipFactory(organisation=member, initiative=nexus)
    MembershipFactory(organisation=OrganisationFactory(name="Hidden member"), initiative=hidden)
    OrganisationFactory(name="Outsider")
    assert names("initiative=nexus") == ["Member"]
    filterset = OrganisationFilter(QueryDict("initiative=hidden"))
    assert [value for _name, value, _reason in filterset.ignored] == ["hidden"]
    assert filterset.qs.count() == 3


def test_care_setting_and_regulatory_filters():
    hospital = CareSettingFactory(name="Hospital", slug="hospital")
    home = CareSettingFactory(name="Home", slug="home")
    ukca = RegulatoryMarkFactory(name="UKCA class I", slug="ukca-class-i")
    a = OrganisationFactory(name="A")
    a.care_settings.set([hospital])
    a.regulatory_marks.set([ukca])
    b = OrganisationFactory(name="B")
    b.care_settings.set([home, hospital])
    assert names("care_setting=hospital") == ["A", "B"]
    assert names("care_setting=home") == ["B"]
    assert names("regulatory=ukca-class-i") == ["A"]
    assert names("care_setting=hospital&regulatory=ukca-class-i") == ["A"]


def test_choice_filters_and_districts():
    OrganisationFactory(name="Small Leeds", employees_band="small", postcode="LS1 4AP")
    OrganisationFactory(
        name="Large Bradford", employees_band="large", local_authority="bradford", postcode="BD7 1DP"
    )
    OrganisationFactory(name="Large Leeds", employees_band="large", postcode="LS11 5AA")
    assert names("size=large") == ["Large Bradford", "Large Leeds"]
    assert names("size=small&size=large&local_authority=leeds") == ["Large Leeds", "Small Leeds"]
    assert names("district=LS1") == ["Small Leeds"]
    assert names("district=ls11&district=bd7") == ["Large Bradford", "Large Leeds"]


def test_hq_leeds_and_founded_years():
    OrganisationFactory(name="Old", founded_year=1950, headquartered_in_leeds=True)
    OrganisationFactory(name="New", founded_year=2015)
    OrganisationFactory(name="Unknown")
    assert names("hq_leeds=1") == ["Old"]
    assert names("founded_min=2000") == ["New"]
    assert names("founded_max=2000") == ["Old"]
    assert names("founded_min=1950&founded_max=2015") == ["New", "Old"]


def test_default_sort_is_by_name_ignoring_case():
    for name in ["beta", "Alpha", "gamma", "Delta"]:
        OrganisationFactory(name=name)
    assert names("") == ["Alpha", "beta", "Delta", "gamma"]
    assert OrganisationFilter(QueryDict("")).current_sort == "name"


def test_founded_sorts_put_unknown_years_last():
    OrganisationFactory(name="Unknown", founded_year=None)
    OrganisationFactory(name="Old", founded_year=1900)
    OrganisationFactory(name="New", founded_year=2020)
    assert names("sort=-founded") == ["New", "Old", "Unknown"]
    assert names("sort=founded") == ["Old", "New", "Unknown"]


def test_recent_sort_lists_newest_additions_first():
    for name in ["First", "Second", "Third"]:
        OrganisationFactory(name=name)
    assert names("sort=recent") == ["Third", "Second", "First"]


def test_relevance_is_the_default_with_a_search_and_name_without():
    OrganisationFactory(name="Genomics Leeds", summary="Genomics and genomics research.")
    OrganisationFactory(name="Alpha Imaging", summary="Imaging with some genomics.")
    OrganisationFactory(name="Unrelated", summary="Nothing to see.")
    filterset = OrganisationFilter(QueryDict("q=genomics"))
    assert filterset.current_sort == "relevance"
    assert [o.name for o in filterset.qs][0] == "Genomics Leeds"
    assert "Unrelated" not in [o.name for o in filterset.qs]
    assert OrganisationFilter(QueryDict("sort=relevance")).current_sort == "name"
    assert names("q=genomics&sort=name") == ["Alpha Imaging", "Genomics Leeds"]


def test_lenient_filterset_ignores_bad_values_and_keeps_good_ones(sectors):
    medtech, _ = sectors
    OrganisationFactory(name="Medtech", sectors=[medtech], founded_year=2000)
    OrganisationFactory(name="Other")
    filterset = OrganisationFilter(
        QueryDict(
            "sector=medtech&sector=nope&type=bogus&founded_min=abc&sort=sideways&district=<b>&hq_leeds=2"
        )
    )
    assert [o.name for o in filterset.qs] == ["Medtech"]
    ignored = {(name, value) for name, value, _reason in filterset.ignored}
    assert ignored == {
        ("sector", "nope"),
        ("type", "bogus"),
        ("founded_min", "abc"),
        ("sort", "sideways"),
        ("district", "<b>"),
        ("hq_leeds", "2"),
    }
    assert filterset.current_sort == "name"


def test_lenient_filterset_shortens_a_long_query_and_drops_nul_bytes():
    OrganisationFactory(name="Findme")
    filterset = OrganisationFilter(QueryDict("q=find%00me"))
    assert filterset.search_query == "findme"
    assert [o.name for o in filterset.qs] == ["Findme"]
    long = OrganisationFilter(QueryDict("q=" + "x" * 10_000))
    assert len(long.search_query) == Q_MAX_LENGTH
    assert [name for name, _value, _reason in long.ignored] == ["q"]
    assert list(long.qs) == []


def test_strict_filterset_names_each_bad_parameter(sectors):
    filterset = StrictOrganisationFilter(
        QueryDict("sector=medtech&sector=nope&founded_max=soon&size=huge&q=" + "x" * 300)
    )
    assert not filterset.is_valid()
    assert set(filterset.errors) == {"sector", "founded_max", "size", "q"}
    assert OrganisationFilter(QueryDict("sector=nope"), strict=True).is_valid() is False
    assert StrictOrganisationFilter(QueryDict("sector=medtech&sort=-founded")).is_valid()


def test_unknown_parameters_are_ignored_silently():
    OrganisationFactory(name="A")
    filterset = OrganisationFilter(QueryDict("utm_source=mail&page=2&format=json"))
    assert filterset.ignored == []
    assert [o.name for o in filterset.qs] == ["A"]


def test_active_filters_are_normalised_and_exclude_sort(sectors):
    filterset = OrganisationFilter(QueryDict("district=ls1&sector=medtech&sector=medtech&sort=name&q=ai"))
    assert filterset.active_filters() == [("q", "ai"), ("sector", "medtech"), ("district", "LS1")]
