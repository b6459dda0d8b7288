"""The directory's own counts of published organisations, for /stats/ (ARCHITECTURE.md §5). Merged and
closed organisations are not counted: the lists behind the numbers leave them out too.

Each dimension is one grouped query over published organisations. Every row carries the link to the
filtered list it counts, so that a number can always be checked against the entries behind it.
"""

from urllib.parse import urlencode

from django.db.models import Count, Q
from django.urls import reverse

from .models import CareSetting, Organisation, Sector


def list_url(**params):
    return f"{reverse('organisations:organisation-list')}?{urlencode(params)}"


def chart(key, dimension, rows, *, note=""):
    """A chart's context: rows of (label, count, url), with each bar's share of the longest one."""
    rows = [row for row in rows if row[1]]
    longest = max((count for _label, count, _url in rows), default=0)
    return {
        "key": key,
        "title": f"Organisations by {dimension.lower()}",
        "dimension": dimension,
        "note": note,
        "total": sum(count for _label, count, _url in rows),
        "rows": [
            {
                "label": label,
                "count": count,
                "url": url,
                # Percent of the chart's width; a bar never vanishes, however small.
                "width": max(round(100 * count / longest, 1), 1) if longest else 0,
            }
            for label, count, url in rows
        ],
    }


def reference_rows(model, parameter):
    counts = model.objects.in_use().order_by("-organisation_count", "name")
    return [
        (name, n, list_url(**{parameter: slug}))
        for name, slug, n in counts.values_list("name", "slug", "organisation_count")
    ]


def choice_rows(field, choices, parameter):
    counts = Organisation.objects.listed().counts_by(field)
    return [(label, counts.get(value, 0), list_url(**{parameter: value})) for value, label in choices]


def decade_rows():
    by_year = Organisation.objects.listed().filter(founded_year__isnull=False).counts_by("founded_year")
    decades = {}
    for year, n in by_year.items():
        decade = year - year % 10
        decades[decade] = decades.get(decade, 0) + n
    return [
        (f"{decade}s", n, list_url(founded_min=decade, founded_max=decade + 9))
        for decade, n in sorted(decades.items())
    ]


def directory_totals():
    return Organisation.objects.listed().aggregate(
        organisations=Count("pk"),
        companies=Count("pk", filter=Q(organisation_type=Organisation.Type.COMPANY)),
        companies_hq_leeds=Count(
            "pk", filter=Q(organisation_type=Organisation.Type.COMPANY, headquartered_in_leeds=True)
        ),
        large=Count("pk", filter=Q(employees_band=Organisation.EmployeesBand.LARGE)),
        size_unknown=Count("pk", filter=Q(employees_band="")),
        founded_unknown=Count("pk", filter=Q(founded_year__isnull=True)),
        place_unknown=Count("pk", filter=Q(local_authority="")),
    )


def counted(n, singular, plural):
    """A count that reads as a phrase, zero included: no company, 1 company, 2 companies."""
    if n == 0:
        return f"no {singular}"
    return f"{n:,} {singular if n == 1 else plural}"


def companies_phrase(organisations, companies):
    """How many of the listed organisations are companies, as the stats lead says it; "" when none are."""
    if companies == 0:
        return ""
    if companies == organisations:
        return "a company" if companies == 1 else "all of them companies"
    return "1 of them a company" if companies == 1 else f"{companies:,} of them companies"


def unstated(n, one, many):
    """A chart's note on organisations that leave a field blank; "" when every one states it."""
    if n == 0:
        return ""
    return f"1 organisation {one}." if n == 1 else f"{n:,} organisations {many}."


def charts(totals):
    """The charts of organisations by sector, type, size, care setting, place and decade."""
    return [
        chart("sector", "Sector", reference_rows(Sector, "sector")),
        chart("type", "Type", choice_rows("organisation_type", Organisation.Type.choices, "type")),
        chart(
            "size",
            "Size (employees)",
            choice_rows("employees_band", Organisation.EmployeesBand.choices, "size"),
            note=unstated(totals["size_unknown"], "does not state its size", "do not state their size"),
        ),
        chart("care_setting", "Care setting", reference_rows(CareSetting, "care_setting")),
        chart(
            "local_authority",
            "Local authority",
            choice_rows("local_authority", Organisation.LocalAuthority.choices, "local_authority"),
            note=unstated(
                totals["place_unknown"],
                "does not state its local authority",
                "do not state their local authority",
            ),
        ),
        chart(
            "founded",
            "Decade founded",
            decade_rows(),
            note=unstated(
                totals["founded_unknown"],
                "does not state when it was founded",
                "do not state when they were founded",
            ),
        ),
    ]


def directory_comparisons(totals):
    """{key figure slug: (sentence, url)}: what the directory counts beside a reported figure."""
    hq_leeds, large = totals["companies_hq_leeds"], totals["large"]
    # A count of zero is said plainly and not linked: the list behind it would be empty.
    return {
        "health-tech-companies": (
            f"The directory lists {counted(hq_leeds, 'company', 'companies')} headquartered in Leeds.",
            list_url(type="company", hq_leeds="1") if hq_leeds else None,
        ),
        "sector-employees": (large_employers_sentence(large), list_url(size="large") if large else None),
    }


def large_employers_sentence(large):
    if large == 0:
        return (
            "The directory does not record headcounts, and none of its organisations "
            "states 250 or more employees."
        )
    return (
        "The directory does not record headcounts; it lists "
        f"{counted(large, 'organisation', 'organisations')} employing 250 or more."
    )
