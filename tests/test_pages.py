import html
import re

import pytest
from django.urls import reverse

from initiatives.models import Membership
from organisations.models import Contact, Status
from tests.factories import (
    ContactFactory,
    InitiativeFactory,
    KeyFigureFactory,
    MembershipFactory,
    OrganisationFactory,
    SectorFactory,
)

pytestmark = pytest.mark.django_db


def text(response):
    return response.content.decode()


def test_url_names_follow_the_contract():
    assert reverse("home") == "/"
    assert reverse("about") == "/about/"
    assert reverse("privacy") == "/privacy/"
    assert reverse("accessibility") == "/accessibility/"
    assert reverse("organisations:organisation-list") == "/organisations/"
    assert reverse("organisations:organisation-detail", args=["x"]) == "/organisations/x/"
    assert reverse("organisations:sector-detail", args=["x"]) == "/sectors/x/"
    assert reverse("initiatives:initiative-list") == "/initiatives/"
    assert reverse("initiatives:initiative-detail", args=["x"]) == "/initiatives/x/"


def test_the_skip_link_is_the_first_focusable_element_and_main_is_its_target(client):
    page = text(client.get("/"))
    body = page[page.index("<body") :]
    first_link = re.search(r"<(a|button|input|select|textarea)\b[^>]*>", body).group()
    assert 'class="skip-link"' in first_link and 'href="#main"' in first_link
    assert 'id="main"' in page


def test_the_footer_links_about_privacy_and_accessibility_and_credits_the_data(client):
    page = text(client.get("/"))
    footer = page[page.index('<footer class="site-footer">') :]
    for path in ["/about/", "/privacy/", "/accessibility/"]:
        assert f'href="{path}"' in footer
    assert "Creative Commons Attribution 4.0" in footer


def test_home_shows_search_initiatives_key_figures_with_sources_and_newest_entries(client):
    nexus = InitiativeFactory(name="Nexus Hub")
    InitiativeFactory(name="Secret Draft Initiative", status=Status.DRAFT)
    KeyFigureFactory(value=">£3bn", label="combined turnover", source_name="Savills blog")
    OrganisationFactory(name="Oldest Entry")
    newest = OrganisationFactory(name="Newest Entry")
    OrganisationFactory(name="Unpublished Entry", status=Status.DRAFT)
    MembershipFactory(organisation=newest, initiative=nexus)
    page = text(client.get("/"))
    assert 'action="/organisations/"' in page and 'name="q"' in page
    assert "Nexus Hub" in page
    assert "Secret Draft Initiative" not in page
    assert "&gt;£3bn" in page and "Savills blog" in page and 'href="https://example.org/source"' in page
    assert page.index("Newest Entry") < page.index("Oldest Entry")
    assert "Unpublished Entry" not in page


def test_the_list_shows_cards_with_summary_sectors_initiatives_and_town(client):
    sector = SectorFactory(name="Medtech", slug="medtech")
    initiative = InitiativeFactory(name="Nexus")
    hidden = InitiativeFactory(name="Hidden Programme", status=Status.DRAFT)
    organisation = OrganisationFactory(
        name="Acme Devices", summary="Makes devices.", town="Horsforth", sectors=[sector]
    )
    MembershipFactory(organisation=organisation, initiative=initiative)
    MembershipFactory(organisation=organisation, initiative=hidden)
    page = text(client.get("/organisations/"))
    assert 'href="/organisations/acme-devices/"' in page
    assert "Makes devices." in page and "Horsforth" in page
    assert 'href="/sectors/medtech/"' in page
    assert "Nexus" in page
    assert "Hidden Programme" not in page
    # No logo: an initials placeholder.
    assert ">AD</span>" in page


def test_search_results_highlight_the_matched_words(client):
    OrganisationFactory(name="Scanwell", summary="Imaging software for hospitals.")
    page = text(client.get("/organisations/?q=imaging"))
    assert "<mark>Imaging</mark> software" in page


def test_no_results_offer_a_did_you_mean_link(client):
    OrganisationFactory(name="Genomics Centre", summary="Genomics research for the NHS.")
    response = client.get("/organisations/?q=genomicz")
    page = text(response)
    if response.context["paginator"].count:
        # PostgreSQL's typo tolerance finds the misspelt word itself: no suggestion is needed.
        assert "Genomics Centre" in page
        assert "Did you mean" not in page
    else:
        assert "0 organisations" in page
        assert "Did you mean" in page
        assert "?q=genomics" in page


def test_active_filters_show_as_removable_chips_with_clear_all(client):
    SectorFactory(name="Medtech", slug="medtech")
    SectorFactory(name="Genomics", slug="genomics")
    page = text(client.get("/organisations/?sector=medtech&sector=genomics&type=nhs&sort=-founded"))
    chips = page[page.index('class="chips"') :]
    assert "Sector: Medtech" in chips and "Sector: Genomics" in chips
    assert "Type: NHS body" in chips
    # Removing one sector keeps the other filters and the sort.
    assert 'href="/organisations/?sector=genomics&amp;type=nhs&amp;sort=-founded"' in chips
    assert "Clear all" in chips


def test_facet_options_are_checkboxes_with_counts_and_options_with_no_results_are_left_out(client):
    medtech = SectorFactory(name="Medtech", slug="medtech")
    SectorFactory(name="Imaging", slug="imaging")
    genomics = SectorFactory(name="Genomics", slug="genomics")
    OrganisationFactory(sectors=[medtech])
    page = text(client.get("/organisations/?sector=medtech&sector=genomics"))
    assert re.search(r'name="sector" value="medtech" id="[^"]+" checked', page)
    # Ticked, so it stays to be unticked, although nothing has it.
    assert re.search(r'name="sector" value="genomics" id="[^"]+" checked', page)
    assert genomics.name in page
    assert 'value="imaging"' not in page


def test_large_facets_show_ten_options_and_the_rest_behind_show_all(client):
    for n in range(15):
        OrganisationFactory(sectors=[SectorFactory(name=f"Sector {n:02}", slug=f"sector-{n:02}")])
    page = text(client.get("/organisations/"))
    sector_group = page[page.index('data-facet="sector"') : page.index('data-facet="hq_leeds"')]
    before, after = sector_group.split('<details class="facet__more">')
    assert before.count('name="sector"') == 10
    assert after.count('name="sector"') == 5
    assert "Show all 15" in after


def test_pagination_shows_twenty_a_page_and_keeps_the_filters(client):
    sector = SectorFactory(name="Medtech", slug="medtech")
    for n in range(45):
        OrganisationFactory(name=f"Org {n:02}", sectors=[sector])
    response = client.get("/organisations/?sector=medtech&sort=name")
    assert len(response.context["organisations"]) == 20
    page = text(response)
    # Page links land on the results.
    assert 'href="?sector=medtech&amp;sort=name&amp;page=2#results"' in page
    second = client.get("/organisations/?sector=medtech&sort=name&page=2")
    assert [o.name for o in second.context["organisations"]][0] == "Org 20"


def test_an_out_of_range_page_shows_the_last_page(client):
    for n in range(25):
        OrganisationFactory(name=f"Org {n:02}")
    response = client.get("/organisations/?page=99")
    assert response.status_code == 200
    assert response.context["page_obj"].number == 2
    assert "last page" in text(response)


@pytest.mark.parametrize("page", ["-1", "0", "abc", "1.5", "%00"])
def test_a_negative_or_non_numeric_page_shows_the_first_page_with_a_notice(client, page):
    for n in range(25):
        OrganisationFactory(name=f"Org {n:02}")
    response = client.get(f"/organisations/?page={page}")
    assert response.status_code == 200
    assert response.context["page_obj"].number == 1
    assert "first page" in text(response)


def test_ignored_values_get_a_short_notice(client):
    response = client.get("/organisations/?sector=no-such-sector&founded_min=soon")
    page = text(response)
    assert response.status_code == 200
    assert "Sector “no-such-sector” was ignored" in page
    assert "Founded from “soon” was ignored" in page


def test_a_sector_page_lists_its_published_organisations(client):
    sector = SectorFactory(name="Genomics", slug="genomics")
    OrganisationFactory(name="Gene Co", sectors=[sector])
    OrganisationFactory(name="Draft Gene Co", sectors=[sector], status=Status.DRAFT)
    OrganisationFactory(name="Other Co")
    response = client.get("/sectors/genomics/")
    page = text(response)
    assert response.status_code == 200
    assert "Gene Co" in page and "Draft Gene Co" not in page and "Other Co" not in page
    assert 'href="/organisations/?sector=genomics"' in page


def test_unknown_sectors_and_retired_empty_sectors_are_not_found(client):
    SectorFactory(name="Retired", slug="retired", is_active=False)
    retired_in_use = SectorFactory(name="Old but used", slug="old-but-used", is_active=False)
    OrganisationFactory(sectors=[retired_in_use])
    assert client.get("/sectors/no-such-sector/").status_code == 404
    assert client.get("/sectors/retired/").status_code == 404
    assert client.get("/sectors/old-but-used/").status_code == 200


def test_the_initiatives_list_shows_published_initiatives_only(client):
    InitiativeFactory(name="Nexus")
    InitiativeFactory(name="Draft Hub", status=Status.DRAFT)
    page = text(client.get("/initiatives/"))
    assert "Nexus" in page and "Draft Hub" not in page


def test_an_initiative_page_shows_hosts_partners_members_by_role_figures_and_public_contacts(client):
    university = OrganisationFactory(name="University of Leeds")
    initiative = InitiativeFactory(
        name="Nexus", slug="nexus", partners_text="Leeds City Council (not listed)"
    )
    initiative.hosts.set([university, OrganisationFactory(name="Hidden Host", status=Status.DRAFT)])
    MembershipFactory(
        initiative=initiative,
        organisation=OrganisationFactory(name="Resident Co"),
        role=Membership.Role.RESIDENT,
    )
    MembershipFactory(
        initiative=initiative,
        organisation=university,
        role=Membership.Role.FOUNDING_PARTNER,
        since="2019-05-01",
    )
    MembershipFactory(
        initiative=initiative, organisation=OrganisationFactory(name="Draft Co", status=Status.DRAFT)
    )
    KeyFigureFactory(initiative=initiative, value="£40m", label="building", source_name="University news")
    ContactFactory(
        organisation=None,
        initiative=initiative,
        name="Public Person",
        is_public=True,
        consent_recorded_on="2025-01-01",
    )
    ContactFactory(
        organisation=None, initiative=initiative, name="Private Person", internal_notes="Secret note"
    )
    MembershipFactory(
        initiative=initiative,
        organisation=OrganisationFactory(name="Founding Co"),
        role=Membership.Role.FOUNDING_PARTNER,
    )
    page = text(client.get("/initiatives/nexus/"))
    assert "University of Leeds" in page and "Hidden Host" not in page
    assert "Leeds City Council (not listed)" in page
    assert page.index("Hosted by") < page.index("Founding partners") < page.index("Residents")
    # A host that is also a member is listed once, as a host, with its role.
    assert page.count(">University of Leeds</a>") == 1
    assert "founding partner since May 2019" in page
    assert "Resident Co" in page and "Draft Co" not in page
    assert "£40m" in page and "University news" in page
    assert "Public Person" in page
    assert "Private Person" not in page and "Secret note" not in page


def test_draft_initiatives_are_not_found(client):
    InitiativeFactory(slug="draft-hub", status=Status.DRAFT)
    assert client.get("/initiatives/draft-hub/").status_code == 404
    assert client.get("/initiatives/no-such-hub/").status_code == 404


def test_about_page_states_the_licence_and_lists_the_sources(client):
    OrganisationFactory(source_url="https://example.org/where-we-read-it")
    OrganisationFactory(source_url="https://example.org/draft-source", status=Status.DRAFT)
    KeyFigureFactory(source_name="Savills blog")
    page = text(client.get("/about/"))
    assert "CC BY 4.0" in page
    assert 'id="sources"' in page
    assert "https://example.org/where-we-read-it" in page
    assert "https://example.org/draft-source" not in page
    assert "Savills blog" in page


def test_privacy_page_explains_consent_removal_and_how_to_ask(client, settings):
    settings.DIRECTORY_DATA_PROTECTION_EMAIL = "privacy@example.org"
    page = text(client.get("/privacy/"))
    assert "consent" in page
    assert "remove" in page and "correct" in page
    assert "mailto:" in page


def test_accessibility_statement_names_the_target_known_issues_and_how_to_report(client, settings):
    settings.DIRECTORY_CONTACT_EMAIL = "directory@example.org"
    page = text(client.get("/accessibility/"))
    assert "WCAG" in page and "2.2" in page and "AA" in page
    assert "Known issues" in page
    assert "Reporting a problem" in page and "mailto:" in page


def test_breadcrumbs_lead_back_home(client):
    organisation = OrganisationFactory(name="Acme")
    page = text(client.get(organisation.get_absolute_url()))
    crumbs = page[page.index('aria-label="Breadcrumb"') :]
    assert 'href="/"' in crumbs and 'href="/organisations/"' in crumbs
    assert '<li aria-current="page"><span class="breadcrumbs__current">Acme</span></li>' in crumbs


def test_the_not_found_page_uses_the_site_layout(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "Page not found" in text(response)
    assert 'class="skip-link"' in text(response)


def test_pages_load_only_local_assets(client):
    page = text(client.get("/organisations/"))
    for match in re.findall(r'(?:src|href)="([^"]+\.(?:css|js|woff2?|svg))"', page):
        assert match.startswith("/static/"), match


def test_private_contacts_exist_only_in_the_back_office(client):
    organisation = OrganisationFactory()
    ContactFactory(organisation=organisation, name="Never Shown")
    assert Contact.objects.count() == 1
    assert "Never Shown" not in text(client.get("/organisations/"))


def test_the_server_error_page_renders_without_touching_the_database(rf, django_assert_num_queries):
    from hubdir.views import server_error

    with django_assert_num_queries(0):
        response = server_error(rf.get("/"))
    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in response.content.decode()


def test_options_that_would_give_no_results_are_not_offered(client):
    medtech, genomics = (
        SectorFactory(name="Medtech", slug="medtech"),
        SectorFactory(name="Genomics", slug="genomics"),
    )
    OrganisationFactory(name="Cardiac Devices Ltd", sectors=[medtech], organisation_type="company")
    gene_labs = OrganisationFactory(name="Gene Labs Ltd", sectors=[genomics], organisation_type="company")
    MembershipFactory(organisation=gene_labs, initiative=InitiativeFactory(name="Genome Hub"))

    groups = {g["name"]: g for g in client.get("/organisations/?q=cardiac").context["facet_groups"]}
    assert [o["value"] for o in groups["sector"]["shown"]] == ["medtech"]
    assert groups["sector"]["more"] == [] and groups["sector"]["total"] == 1
    # A facet with nothing to offer is left out altogether, heading and all.
    assert "initiative" not in groups and "care_setting" not in groups
    page = text(client.get("/organisations/?q=cardiac"))
    assert "No matches" not in page and "Genome Hub" not in page
    assert 'data-facet="initiative"' not in page


def test_a_search_with_no_results_is_a_short_page_that_leads_somewhere(client):
    SectorFactory(name="Medtech", slug="medtech")
    OrganisationFactory(name="Genomics Centre", summary="Genomics research for the NHS.")
    response = client.get("/organisations/?q=zzqxnothing&sector=medtech")
    page = text(response)
    groups = response.context["facet_groups"]
    # Only the ticked sector is left to offer (to untick it); every other facet is left out.
    assert [(g["name"], [o["value"] for o in g.get("shown", []) + g.get("more", [])]) for g in groups] == [
        ("sector", ["medtech"])
    ]
    assert page.count('type="checkbox"') <= 2  # the ticked sector and "headquartered in Leeds"
    assert "Medtech" in page
    assert 'href="/organisations/?q=zzqxnothing">Search for “zzqxnothing” without filters' in page
    assert 'id="id_sort"' not in page


def test_the_summary_and_active_filters_come_before_the_filter_controls(client):
    medtech = SectorFactory(name="Medtech", slug="medtech")
    OrganisationFactory(sectors=[medtech])
    page = text(client.get("/organisations/?sector=medtech&sort=-founded"))
    main = page[page.index('id="main"') :]
    assert main.index('id="results-heading"') < main.index('class="chips"') < main.index('name="sector"')
    assert main.index("Clear all") < main.index('class="directory__filters"')


def test_a_did_you_mean_comes_before_the_filter_controls(client, monkeypatch):
    # Where the suggestion goes, whatever the database's own typo tolerance would find.
    SectorFactory(name="Medtech", slug="medtech")
    monkeypatch.setattr("organisations.views.did_you_mean", lambda query: "genomics")
    page = text(client.get("/organisations/?q=zzqxgenomicz&sector=medtech"))
    assert page.index("Did you mean") < page.index('class="directory__filters"')
    assert 'href="/organisations/?q=genomics&amp;sector=medtech">genomics</a>' in page


def test_a_search_that_finds_nothing_shows_no_empty_filter_column(client, monkeypatch):
    monkeypatch.setattr("organisations.views.did_you_mean", lambda query: "genomics")
    page = text(client.get("/organisations/?q=zzqxgenomicz"))
    assert 'href="/organisations/?q=genomics">genomics</a>' in page
    assert 'class="directory__filters"' not in page


def test_a_chosen_sort_is_kept_on_a_page_without_results(client):
    page = text(client.get("/organisations/?q=zzqxnothing&sort=-founded"))
    assert '<input type="hidden" name="sort" value="-founded">' in page


@pytest.mark.parametrize(
    "name, expected",
    [
        ("Leeds Teaching Hospitals NHS Trust", "LT"),
        ("Institute of Cancer Therapeutics (University of Bradford)", "IC"),
        ("Centre for Health Economics (University of York)", "CH"),
        ("The Leeds Hub", "LH"),
        ("3M Buckley Innovation Centre", "3B"),
        ("(Bracketed only)", "?"),
    ],
)
def test_logo_placeholders_use_the_initials_of_the_name_words(name, expected):
    from organisations.templatetags.directory import initials

    assert initials(name) == expected


def test_figures_from_one_source_name_it_once_on_the_home_page(client):
    KeyFigureFactory(value="250+", label="companies", source_name="Savills blog")
    KeyFigureFactory(value="~16,000", label="people", source_name="Savills blog")
    KeyFigureFactory(value="£40m", label="building", source_name="University news")
    page = text(client.get("/"))
    assert page.count(">Savills blog</a>") == 1
    assert "Source of these 2 figures" in page
    assert "Source: <a" in page and ">University news</a>" in page


def test_the_navigation_marks_the_current_section(client):
    for path, label in [("/organisations/", "Organisations"), ("/initiatives/", "Initiatives")]:
        page = text(client.get(path))
        assert f'aria-current="page">{label}</a>' in page
    page = text(client.get("/suggest/"))
    assert 'aria-current="page">Suggest an organisation</a>' in page


def breadcrumb_trail(page):
    """The breadcrumb trail as (label, href) pairs; the current page's crumb has no href."""
    nav = re.search(r'<nav class="breadcrumbs" aria-label="Breadcrumb">(.*?)</nav>', page, re.S)
    assert nav, "the page has no breadcrumb trail"
    items = re.findall(
        r'<li><a href="([^"]*)">([^<]*)</a></li>'
        r'|<li aria-current="page"><span class="breadcrumbs__current">([^<]*)</span></li>',
        nav.group(1),
    )
    return [
        (html.unescape(label), html.unescape(href)) if href else (html.unescape(current), None)
        for href, label, current in items
    ]


def test_the_stats_page_has_a_breadcrumb_like_the_other_inner_pages(client):
    assert breadcrumb_trail(text(client.get("/stats/"))) == [("Home", "/"), ("In numbers", None)]
    # The same markup as an inner page that always had one.
    assert breadcrumb_trail(text(client.get("/about/"))) == [("Home", "/"), ("About", None)]


def test_the_suggest_page_has_a_breadcrumb_home(client):
    assert breadcrumb_trail(text(client.get("/suggest/"))) == [
        ("Home", "/"),
        ("Suggest an organisation", None),
    ]


def test_the_suggest_update_page_has_a_breadcrumb_through_the_organisation(client):
    OrganisationFactory(name="Smith & Jones Health", slug="smith-jones-health")

    trail = breadcrumb_trail(text(client.get("/organisations/smith-jones-health/suggest-update/")))

    assert trail == [
        ("Home", "/"),
        ("Organisations", "/organisations/"),
        ("Smith & Jones Health", "/organisations/smith-jones-health/"),
        ("Suggest an update", None),
    ]


def test_a_suggest_update_page_answered_with_a_form_error_keeps_its_breadcrumb(client):
    from django.core.cache import cache

    cache.clear()  # a rate limit left by another test would answer 429 instead of the form
    OrganisationFactory(name="Acme", slug="acme")

    response = client.post("/organisations/acme/suggest-update/", {"homepage": ""})

    assert response.status_code == 200
    assert breadcrumb_trail(text(response))[-2:] == [
        ("Acme", "/organisations/acme/"),
        ("Suggest an update", None),
    ]


def test_home_shows_headline_counts_and_the_newest_additions_companies_first_with_their_date(client):
    import datetime

    from django.utils import timezone

    from organisations.models import Organisation

    SectorFactory(name="Medtech", slug="medtech")
    InitiativeFactory(name="Nexus Hub")
    now = timezone.now()
    for n, kind in enumerate(["nhs", "company", "university", "company"]):
        organisation = OrganisationFactory(
            name=f"Entry {n}", organisation_type=kind, sectors=[SectorFactory(slug="medtech")]
        )
        Organisation.objects.filter(pk=organisation.pk).update(
            created_at=now - datetime.timedelta(days=10 - n)
        )
    page = text(client.get("/"))
    counts = page[
        page.index('<ul class="headline-counts">') : page.index("</ul>", page.index("headline-counts"))
    ]
    assert '<span class="headline-counts__value">4</span> organisations</a>' in counts
    assert (
        'href="/organisations/?type=company"><span class="headline-counts__value">2</span> companies'
        in counts
    )
    assert '<span class="headline-counts__value">1</span> initiative</a>' in counts
    assert '<span class="headline-counts__value">1</span> sector</a>' in counts
    newest = page[page.index('<ol class="newest">') :]
    names = re.findall(r'class="newest__name" href="[^"]+">([^<]+)</a>', newest)
    assert names == ["Entry 3", "Entry 1", "Entry 2", "Entry 0"]
    added = (now - datetime.timedelta(days=7)).date()
    assert f'added <time datetime="{added:%Y-%m-%d}">{added.day} {added:%b %Y}</time>' in newest


def test_the_home_page_has_one_search_box_the_headers(client):
    page = text(client.get("/"))
    assert page.count('name="q"') == 1
    header = page[page.index('<header class="site-header">') : page.index("</header>")]
    # The search comes before the menu, in reading order as on screen.
    assert header.index('role="search"') < header.index('class="site-nav"')


def test_the_atom_feed_is_advertised_in_the_head_and_linked_in_the_footer_with_the_api_and_csv(client):
    for path in ["/", "/organisations/", "/stats/", "/about/"]:
        page = text(client.get(path))
        head = page[: page.index("</head>")]
        assert (
            '<link rel="alternate" type="application/atom+xml" title="Newly published organisations (Atom feed)" '
            'href="/feeds/organisations.atom">'
        ) in head
        footer = page[page.index('<footer class="site-footer">') :]
        assert 'href="/feeds/organisations.atom" type="application/atom+xml">Atom feed' in footer
        assert 'href="/api/docs/">API documentation</a>' in footer
        assert 'href="/organisations/export.csv">CSV export' in footer
    assert client.get("/feeds/organisations.atom").status_code == 200
