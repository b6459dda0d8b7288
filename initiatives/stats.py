"""What /stats/ shows of initiatives: members per initiative, and the reported key figures beside the
directory's own counts."""

from organisations.stats import chart, counted, directory_comparisons, list_url

from .models import Initiative, KeyFigure


def initiative_counts():
    """[(name, slug, published members)] for published initiatives with any."""
    return list(
        Initiative.objects.published()
        .with_member_count()
        .filter(member_count__gt=0)
        .order_by("-member_count", "name")
        .values_list("name", "slug", "member_count")
    )


def initiative_chart(counts):
    return chart(
        "initiative", "Initiative", [(name, n, list_url(initiative=slug)) for name, slug, n in counts]
    )


def key_figure_comparisons(totals, counts):
    """Each public reported figure beside what the directory itself counts, where it counts something
    alike."""
    comparisons = directory_comparisons(totals)
    members = {slug: n for _name, slug, n in counts}
    rows = []
    for figure in KeyFigure.objects.public():
        sentence, url = comparisons.get(figure.slug, ("", None))
        initiative = figure.initiative
        if not sentence and initiative is not None:
            n = members.get(initiative.slug, 0)
            sentence = (
                f"The directory lists {counted(n, 'organisation', 'organisations')} at {initiative.name}."
            )
            url = list_url(initiative=initiative.slug) if n else None
        rows.append({"figure": figure, "directory": sentence, "directory_url": url})
    return rows
