"""Facet counts for the directory's filters (ARCHITECTURE.md §5).

Each facet counts over the organisations that match every *other* active filter, so that ticking
one more sector shows how many the choice would add. One grouped query per facet, whatever the
number of options, plus the one shared query for the reference options.
"""

import re

from django.db.models import Count, Q

from hubdir.cache_version import cached, data_version
from initiatives.models import Membership

from .filters import REFERENCE_FACETS
from .models import Organisation

FACETS = ("sector", "initiative", "care_setting", "regulatory", "type", "size", "local_authority", "district")

# Facets whose options come from a model's choices: (facet, model field, choices).
CHOICE_FACETS = (
    ("type", "organisation_type", Organisation.Type.choices),
    ("size", "employees_band", Organisation.EmployeesBand.choices),
    ("local_authority", "local_authority", Organisation.LocalAuthority.choices),
)

# Through tables for the reference facets: (model, column pointing at the option).
REFERENCE_LINKS = {
    "sector": (Organisation.sectors.through, "sector_id"),
    "care_setting": (Organisation.care_settings.through, "caresetting_id"),
    "regulatory": (Organisation.regulatory_marks.through, "regulatorymark_id"),
    "initiative": (Membership, "initiative_id"),
}

TOP_OPTIONS = 10

# Writes change the version and so the key: the expiry only frees space.
FACET_CACHE_SECONDS = 60 * 60


def facet_counts(filterset):
    """{facet: [{"value", "label", "count", "selected"}, …]}.

    Reference facets and districts are ordered by count, then label (their top 10 are shown
    first); the short choice facets keep their natural order.

    Cached per filtered query under the data version (hubdir/cache_version.py), which any write
    to the data behind the counts changes: at 100,000 organisations they cost more than the page.
    """
    version = data_version()
    if version is None:
        return _facet_counts(filterset)
    query = str(filterset.queryset_without().query)
    return cached(
        "facets", query, lambda: _facet_counts(filterset), version=version, timeout=FACET_CACHE_SECONDS
    )


def _facet_counts(filterset):
    facets = {}
    for facet in REFERENCE_FACETS:
        facets[facet] = _reference_facet(filterset, facet)
    for facet, field, choices in CHOICE_FACETS:
        facets[facet] = _choice_facet(filterset, facet, field, choices)
    facets["district"] = _district_facet(filterset)
    return {facet: facets[facet] for facet in FACETS}


def _selected(filterset, facet):
    return set(filterset.cleaned(facet) or ())


def _matching_ids(filterset, facet):
    return filterset.queryset_without(facet).values("pk")


def _ordered(options):
    return sorted(options, key=lambda option: (-option["count"], option["label"].lower()))


def _reference_facet(filterset, facet):
    model, column = REFERENCE_LINKS[facet]
    counts = dict(
        model.objects.filter(organisation_id__in=_matching_ids(filterset, facet))
        .order_by()
        .values_list(column)
        .annotate(n=Count("pk"))
    )
    selected = _selected(filterset, facet)
    options = [
        {"value": slug, "label": name, "count": counts.get(pk, 0), "selected": slug in selected}
        for pk, slug, name, active in filterset.reference_options[facet]
        # Retired options stay while organisations still carry them, or while someone filters by one.
        if active or counts.get(pk) or slug in selected
    ]
    return _ordered(options)


def _choice_facet(filterset, facet, field, choices):
    counts = dict(
        Organisation.objects.filter(pk__in=_matching_ids(filterset, facet))
        .order_by()
        .values_list(field)
        .annotate(n=Count("pk"))
    )
    selected = _selected(filterset, facet)
    options = [
        {"value": value, "label": str(label), "count": counts.get(value, 0), "selected": value in selected}
        for value, label in choices
    ]
    # Few options with a natural order (micro before small): kept in the order of the choices.
    return options


def _district_facet(filterset):
    # Every district the public list holds is an option; the count applies the other filters.
    rows = (
        filterset.queryset.exclude(postcode_district="")
        .order_by()
        .values_list("postcode_district")
        .annotate(n=Count("pk", filter=Q(pk__in=_matching_ids(filterset, "district"))))
    )
    counts = dict(rows)
    selected = _selected(filterset, "district")
    options = [
        {
            "value": district,
            "label": district,
            "count": counts.get(district, 0),
            "selected": district in selected,
        }
        for district in sorted(set(counts) | selected, key=_district_key)
    ]
    return sorted(options, key=lambda option: -option["count"])


def _district_key(district):
    # LS2 before LS11: area letters, then the district number, then any letter (EC1A).
    match = re.match(r"^([A-Z]+)([0-9]+)(.*)$", district)
    if not match:
        return (district, 0, "")
    return (match[1], int(match[2]), match[3])


def split_top(options, limit=TOP_OPTIONS):
    """(shown, more): the top `limit` options plus any selected ones, and the rest for "show all"."""
    if len(options) <= limit + 2:
        return options, []
    shown = options[:limit] + [o for o in options[limit:] if o["selected"]]
    more = [o for o in options[limit:] if not o["selected"]]
    return shown, more
