import pytest
from django.core.management import CommandError, call_command

from core import validators
from initiatives.models import Membership
from organisations.management.commands.seed_demo import DISTRICTS
from organisations.models import Organisation
from tests.factories import InitiativeFactory, MembershipFactory, OrganisationFactory


def seed(*args):
    call_command("seed_demo", *args, "--no-progress", verbosity=0)


def demo_rows():
    """Everything that identifies the demo rows, except database ids and timestamps."""
    return [
        (
            o.slug,
            o.name,
            o.organisation_type,
            o.status,
            o.summary,
            o.description,
            o.website,
            o.email,
            o.town,
            o.local_authority,
            o.postcode,
            o.postcode_district,
            o.headquartered_in_leeds,
            o.founded_year,
            o.employees_band,
            o.sector_names,
            tuple(s.slug for s in o.sectors.all()),
            tuple(c.slug for c in o.care_settings.all()),
            tuple(m.slug for m in o.regulatory_marks.all()),
            tuple((m.initiative.slug, m.role) for m in o.memberships.all()),
        )
        for o in Organisation.objects.demo()
        .order_by("slug")
        .prefetch_related("sectors", "care_settings", "regulatory_marks", "memberships__initiative")
    ]


@pytest.fixture
def initiatives(reference_data):
    return [
        InitiativeFactory(name="Demo Hub", kind="innovation_hub"),
        InitiativeFactory(name="Demo Network", kind="network"),
    ]


def test_the_same_seed_gives_the_same_rows(initiatives):
    seed("--count", "60", "--seed", "7")
    first = demo_rows()

    seed("--clear", "--count", "60", "--seed", "7")

    assert len(first) == 60
    assert demo_rows() == first


def test_another_seed_gives_other_rows_without_slug_collisions(initiatives):
    seed("--count", "40", "--seed", "1")
    first = {row[0]: row for row in demo_rows()}

    seed("--count", "40", "--seed", "2")

    rows = demo_rows()
    assert len(rows) == len({row[0] for row in rows}) == 80
    second = [row for row in rows if row[0] not in first]
    assert [row[1:] for row in second] != [row[1:] for row in first.values()]


def test_demo_rows_are_marked_and_use_example_org_addresses(initiatives):
    seed("--count", "200", "--seed", "3")

    demo = list(Organisation.objects.demo().prefetch_related("sectors"))
    assert len(demo) == 200
    statuses = {o.status for o in demo}
    assert "published" in statuses
    for o in demo:
        assert o.is_demo
        assert o.website == f"https://{o.slug}.example.org"
        assert o.email in ("", f"hello@{o.slug}.example.org")
        assert o.postcode == validators.normalise_postcode(o.postcode)
        assert o.postcode_district == validators.postcode_district(o.postcode)
        assert o.postcode_district in {district for district, _ in DISTRICTS[o.local_authority]}
        assert 1 <= len(o.sectors.all()) <= 3
        assert o.sector_names == " ".join(sorted(s.name for s in o.sectors.all()))
        assert o.summary and o.description
        assert (o.published_at is not None) == (o.status == "published")
    assert Membership.objects.filter(organisation__is_demo=True).exists()


def test_demo_rows_get_no_history(initiatives):
    seed("--count", "30")

    assert Organisation.history.count() == 0
    assert Membership.history.count() == 0


def test_clear_removes_demo_rows_only(initiatives, reference_data):
    from organisations.models import Sector

    real = OrganisationFactory(name="Real Leeds Company", sectors=[Sector.objects.get(slug="medtech")])
    MembershipFactory(organisation=real, initiative=initiatives[0])
    initiatives[0].hosts.add(real)
    seed("--count", "50")
    demo = Organisation.objects.demo().first()
    initiatives[1].hosts.add(demo)

    seed("--clear")

    assert not Organisation.objects.demo().exists()
    assert list(Organisation.objects.all()) == [real]
    assert list(real.sectors.values_list("slug", flat=True)) == ["medtech"]
    assert list(Membership.objects.values_list("organisation__name", flat=True)) == ["Real Leeds Company"]
    assert list(initiatives[0].hosts.all()) == [real]
    assert not initiatives[1].hosts.exists()
    assert Organisation.sectors.through.objects.count() == 1


@pytest.mark.parametrize("count", ["0", "-5", "abc", "2.5", "1000001"])
def test_an_invalid_count_is_a_clear_error(reference_data, count):
    with pytest.raises(CommandError, match="--count must be a whole number from 1 to 1,000,000"):
        seed("--count", count)
    assert not Organisation.objects.exists()


def test_nothing_to_do_is_a_clear_error(reference_data):
    with pytest.raises(CommandError, match="Give --count N"):
        seed()


def test_it_needs_the_reference_sectors(db):
    with pytest.raises(CommandError, match="load the reference fixtures first"):
        seed("--count", "5")
