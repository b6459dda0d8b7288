"""Which register entries become candidates, and which listed organisations each one may already be.

Likely duplicates come from organisations/duplicates.py (its name similarity and Companies House
number key), the directory's one duplicate finder; an ODS code shared with a listed organisation is
an exact match on top.
"""

from django.db.models import Q

from ..duplicates import Entry, Name, find_duplicates
from ..models import Organisation

SAME_ODS_CODE = "same ODS code"


def candidate_reasons(entry, rules):
    """Why `entry` belongs in the review queue ([] for not at all).

    Only live entries in the region qualify: companies by the SIC and name rules, NHS bodies by
    being there."""
    if entry.place is None or not entry.active:
        return []
    if entry.register == "companies_house":
        return rules.company_reasons(entry.name, entry.sic_codes)
    kind = entry.facts.get("kind")
    return [f"{kind}: {rules.ods_reason}" if kind else rules.ods_reason]


def _candidate_entry(candidate):
    # Negative keys keep candidates apart from organisations in find_duplicates' answer.
    return Entry(
        pk=-candidate.pk, name=candidate.name, companies_house_number=candidate.companies_house_number
    )


def likely_twins(candidates):
    """{candidate pk: [(organisation, reason)]} for the given candidates, in two queries.

    Only organisations that could match are loaded: the same number or code, or a name sharing the
    first letters of a word that find_duplicates blocks names on (a name similar enough always does).
    """
    candidates = list(candidates)
    query = Q()
    for candidate in candidates:
        if candidate.companies_house_number:
            query |= Q(companies_house_number=candidate.companies_house_number)
        if candidate.ods_code:
            query |= Q(ods_code=candidate.ods_code)
        for word in Name(candidate.name).words_for_blocking:
            query |= Q(name__icontains=word[:4])
    if not candidates or not query:
        return {}
    organisations = list(
        Organisation.objects.filter(query, merged_into__isnull=True).only(*Entry.FIELDS, "ods_code")
    )
    by_pk = {organisation.pk: organisation for organisation in organisations}
    found = find_duplicates(
        [*map(_candidate_entry, candidates), *map(Entry.from_organisation, organisations)]
    )
    twins = {}
    for candidate in candidates:
        matches = {pk: reason for pk, reason in found.get(-candidate.pk, {}).items() if pk in by_pk}
        if candidate.ods_code:
            for organisation in organisations:
                if organisation.ods_code == candidate.ods_code:
                    matches[organisation.pk] = SAME_ODS_CODE
        twins[candidate.pk] = sorted(
            ((by_pk[pk], reason) for pk, reason in matches.items()), key=lambda twin: twin[0].name.lower()
        )
    return twins
