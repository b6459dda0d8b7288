"""Synthetic organisations for trying the directory at scale (never loaded by default).

Rows are deterministic: one `random.Random(seed)` drives every choice, so the same seed on the same
database gives the same rows. They are marked `is_demo`, use `example.org` addresses, and are written with
bulk inserts (organisations, then the many-to-many rows) without history: they are not curated data.
Slugs end in a running number that continues after the demo rows already present, so runs with different
seeds never collide.
"""

import argparse
import random
import re
import sys
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.text import slugify
from tqdm import tqdm

from organisations import search
from organisations.models import (
    CareSetting,
    Contact,
    Organisation,
    OrganisationSlugRedirect,
    RegulatoryMark,
    Sector,
    Status,
)

# Demo organisations join the real initiatives; that app builds on this one, so its models are
# reached through the relation.
Membership = Organisation.membership_model()
Initiative = Organisation.initiative_model()

MAX_COUNT = 1_000_000
DEFAULT_BATCH_SIZE = 2_000

NAME_STEMS = [
    "Aire",
    "Calder",
    "Wharfe",
    "Kirkstall",
    "Roundhay",
    "Pennine",
    "Ridings",
    "Holbeck",
    "Meanwood",
    "Chapel",
    "Saltaire",
    "Brontë",
    "Ilkley",
    "Otley",
    "Headrow",
    "Briggate",
    "Dales",
    "Moorland",
    "Nova",
    "Lumen",
    "Helix",
    "Vita",
    "Cura",
    "Axon",
    "Cortex",
    "Sentinel",
    "Beacon",
    "Clarity",
    "Meridian",
    "Apex",
    "Orbit",
    "Kinetic",
    "Vertex",
    "Synapse",
    "Pulse",
    "Tandem",
    "Harbour",
    "Keystone",
    "Lattice",
    "Prism",
    "Bright",
    "Clear",
    "Open",
    "Kind",
    "True",
    "Evergreen",
    "Northstar",
    "Bluebell",
    "Heather",
    "Rowan",
    "Willow",
    "Oak",
    "Linden",
    "Juniper",
    "Cobalt",
    "Amber",
    "Indigo",
    "Quill",
    "Echo",
    "Atlas",
]
NAME_JOINS = ["", "", "", "", "gate", "field", "bridge", "point", "path", "stone", "light", "wave", "mark"]
# Words that make a name sound like its first sector.
SECTOR_NAME_WORDS = {
    "digital-health": ["Health", "Digital Health", "Care Tech", "eHealth"],
    "electronic-health-records": ["Records", "Clinical Systems", "EPR"],
    "medtech": ["Medtech", "Medical", "Surgical"],
    "medical-devices": ["Devices", "Instruments", "Implants"],
    "diagnostics": ["Diagnostics", "Dx", "Testing"],
    "imaging": ["Imaging", "Vision", "Radiology"],
    "pharmaceuticals": ["Pharma", "Therapeutics", "Medicines"],
    "biotech": ["Bio", "Biosciences", "Biologics"],
    "regenerative-medicine": ["Regen", "Tissue", "Cell Therapies"],
    "genomics": ["Genomics", "Genetics", "Sequencing"],
    "ai-and-data": ["AI", "Data", "Intelligence"],
    "telehealth": ["Telehealth", "Remote Care", "Connect"],
    "health-analytics": ["Insights", "Analytics", "Metrics"],
    "pharmacy": ["Pharmacy", "Chemists", "Dispensing"],
    "orthopaedics": ["Orthopaedics", "Ortho", "Joint"],
    "wellbeing": ["Wellbeing", "Wellness", "Mind"],
    "research": ["Research", "Clinical Research", "Trials"],
    "healthcare-services": ["Healthcare", "Care Services", "Clinics"],
    "public-health": ["Public Health", "Population Health", "Prevention"],
}
GENERIC_NAME_WORDS = ["Health", "Medical", "Life Sciences"]
# What the organisation does, for summaries and descriptions.
SECTOR_ACTIVITIES = {
    "digital-health": [
        "builds apps that help patients manage long-term conditions",
        "makes online booking and triage tools",
        "develops digital therapeutics",
    ],
    "electronic-health-records": [
        "develops electronic patient record software",
        "builds tools that share clinical records between services",
    ],
    "medtech": [
        "designs surgical instruments and theatre equipment",
        "develops wearable monitors",
        "makes point-of-care devices",
    ],
    "medical-devices": [
        "manufactures single-use medical devices",
        "designs implantable devices",
        "makes devices for wound care",
    ],
    "diagnostics": [
        "develops rapid diagnostic tests",
        "builds laboratory diagnostics for infection",
        "makes blood tests for earlier cancer diagnosis",
    ],
    "imaging": [
        "builds software that reads X-rays and scans",
        "develops digital pathology imaging",
        "makes portable ultrasound tools",
    ],
    "pharmaceuticals": [
        "develops new medicines for rare diseases",
        "makes liquid and specialist medicines",
        "runs early-phase drug development",
    ],
    "biotech": ["engineers proteins for research and therapy", "develops antibody-based therapies"],
    "regenerative-medicine": [
        "develops tissue scaffolds for repair",
        "works on cell therapies for joint and skin repair",
    ],
    "genomics": ["offers genetic testing services", "builds genome analysis pipelines"],
    "ai-and-data": [
        "applies machine learning to clinical data",
        "builds AI tools that prioritise referrals",
        "provides data platforms for health research",
    ],
    "telehealth": [
        "runs video consultation services",
        "provides remote monitoring for people at home",
        "connects care homes to clinicians by video",
    ],
    "health-analytics": [
        "analyses population health data for commissioners",
        "builds dashboards for hospital performance",
    ],
    "pharmacy": ["runs an online pharmacy", "provides medicines management software for pharmacies"],
    "orthopaedics": [
        "designs joint replacement components",
        "develops braces and supports for sports injuries",
    ],
    "wellbeing": [
        "offers digital mental wellbeing programmes",
        "runs workplace wellbeing services",
        "makes apps for healthy ageing",
    ],
    "research": ["supports clinical trials and studies", "provides contract research services"],
    "healthcare-services": [
        "provides community clinics",
        "runs diagnostic and outpatient services",
        "delivers home care services",
    ],
    "public-health": [
        "runs screening and prevention programmes",
        "supports smoking cessation and healthy weight services",
    ],
}
AUDIENCES = [
    "NHS trusts",
    "GP practices",
    "care homes",
    "community pharmacies",
    "hospital laboratories",
    "mental health services",
    "patients at home",
    "clinical researchers",
    "life sciences companies",
    "local authorities",
    "integrated care boards",
    "surgeons",
]
TYPE_WEIGHTS = [("company", 88), ("charity", 5), ("support_organisation", 6), ("public_body", 1)]
TYPE_WORDS = {
    "company": [
        "Ltd",
        "Limited",
        "Group",
        "Technologies",
        "Solutions",
        "Systems",
        "Labs",
        "Partners",
        "",
        "",
    ],
    "charity": ["Trust", "Foundation", "Charity"],
    "support_organisation": ["Network", "Hub", "Collaborative", "Accelerator"],
    "public_body": ["Service", "Agency"],
}
TYPE_NOUNS = {
    "company": ["company", "business", "firm", "SME"],
    "charity": ["charity"],
    "support_organisation": ["network", "support organisation"],
    "public_body": ["public body"],
}
BAND_WEIGHTS = [("micro", 45), ("small", 30), ("medium", 14), ("large", 5), ("", 6)]
BAND_TEAMS = {
    "micro": "small team",
    "small": "growing team",
    "medium": "team",
    "large": "large team",
    "": "team",
}
AUTHORITY_WEIGHTS = [
    ("leeds", 50),
    ("bradford", 10),
    ("kirklees", 8),
    ("calderdale", 5),
    ("wakefield", 8),
    ("harrogate", 6),
    ("york", 8),
    ("other", 5),
]
# Postcode districts that lie in each local authority, with the town a district is known by.
LEEDS_TOWNS = {"LS18": "Horsforth", "LS19": "Yeadon", "LS20": "Guiseley", "LS21": "Otley", "LS22": "Wetherby",
               "LS25": "Garforth", "LS26": "Rothwell", "LS27": "Morley", "LS28": "Pudsey"}  # fmt: skip
DISTRICTS = {
    "leeds": [(f"LS{n}", LEEDS_TOWNS.get(f"LS{n}", "Leeds")) for n in range(1, 29) if n != 24],
    "bradford": [(f"BD{n}", "Bradford") for n in range(1, 16)]
    + [
        ("BD16", "Bingley"),
        ("BD17", "Shipley"),
        ("BD18", "Shipley"),
        ("BD20", "Keighley"),
        ("BD21", "Keighley"),
        ("BD22", "Keighley"),
        ("LS29", "Ilkley"),
    ],  # fmt: skip
    "kirklees": [(f"HD{n}", "Huddersfield") for n in (1, 2, 3, 4, 5, 7, 8, 9)]
    + [
        ("WF12", "Dewsbury"),
        ("WF13", "Dewsbury"),
        ("WF14", "Mirfield"),
        ("WF17", "Batley"),
        ("BD19", "Cleckheaton"),
    ],  # fmt: skip
    "calderdale": [(f"HX{n}", "Halifax") for n in range(1, 8)] + [("HD6", "Brighouse")],
    "wakefield": [(f"WF{n}", "Wakefield") for n in range(1, 8)]
    + [("WF8", "Pontefract"), ("WF9", "Pontefract"), ("WF10", "Castleford"), ("WF11", "Knottingley")],
    "harrogate": [
        ("HG1", "Harrogate"),
        ("HG2", "Harrogate"),
        ("HG3", "Harrogate"),
        ("HG4", "Ripon"),
        ("HG5", "Knaresborough"),
    ],  # fmt: skip
    "york": [(f"YO{n}", "York") for n in (1, 10, 19, 23, 24, 26, 30, 31, 32)],
    "other": [("LS24", "Tadcaster"), ("YO8", "Selby"), ("BD23", "Skipton"), ("DN14", "Goole")],
}
UNIT_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"  # the letters a postcode's unit may use
# Regulatory marks that fit a sector, and how often a demo organisation in it holds one.
MARKS_BY_SECTOR = [
    ({"medtech", "medical-devices", "orthopaedics", "imaging"}, 0.4,
     ["ukca-class-i", "ukca-class-iia", "ukca-class-iib", "ukca-class-iii"]),
    ({"diagnostics", "genomics"}, 0.4, ["ivd"]),
    ({"digital-health", "ai-and-data", "telehealth", "electronic-health-records", "health-analytics"}, 0.3,
     ["dtac-assessed", "dspt-standards-met", "nice-esf-tier-a", "nice-esf-tier-b", "nice-esf-tier-c"]),
]  # fmt: skip
SERIAL_SUFFIX = re.compile(r"-(\d+)$")


def count_argument(value):
    try:
        count = int(value)
    except ValueError:
        count = 0
    if not 1 <= count <= MAX_COUNT:
        raise argparse.ArgumentTypeError(
            f"--count must be a whole number from 1 to {MAX_COUNT:,}, not {value!r}."
        )
    return count


def weighted(rng, pairs):
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights)[0]


class Command(BaseCommand):
    help = "Add N deterministic synthetic (demo) organisations; --clear removes demo rows only."

    def add_arguments(self, parser):
        parser.add_argument("--count", type=count_argument, help=f"How many to add (1 to {MAX_COUNT:,}).")
        parser.add_argument("--seed", type=int, default=1, help="Same seed, same rows (default 1).")
        parser.add_argument(
            "--clear", action="store_true", help="Remove every demo row first (real rows stay)."
        )
        parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE)
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")

    def handle(self, *args, count=None, seed=1, clear=False, batch_size=DEFAULT_BATCH_SIZE, **options):
        if count is None and not clear:
            raise CommandError("Give --count N (how many demo organisations to add) or --clear.")
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        if clear:
            started = time.monotonic()
            removed = clear_demo()
            reclaim_space()
            self.stdout.write(f"Removed {removed} demo organisations in {time.monotonic() - started:.1f} s.")
        if count:
            started = time.monotonic()
            show_progress = not options["no_progress"] and sys.stderr.isatty()
            created = self.seed(count=count, seed=seed, batch_size=batch_size, show_progress=show_progress)
            self.stdout.write(
                self.style.SUCCESS(
                    f"Added {created} demo organisations (seed {seed}) in {time.monotonic() - started:.1f} s."
                )
            )
        started = time.monotonic()
        search.rebuild_index()
        self.stdout.write(f"Search index refreshed in {time.monotonic() - started:.1f} s.")

    def seed(self, *, count, seed, batch_size, show_progress):
        sectors = list(Sector.objects.active().order_by("slug"))
        if not sectors:
            raise CommandError(
                "No sectors in the database: load the reference fixtures first "
                "(manage.py loaddata sectors care_settings regulatory_marks)."
            )
        generator = DemoGenerator(
            rng=random.Random(seed),
            sectors=sectors,
            care_settings=list(CareSetting.objects.active().order_by("slug")),
            marks={mark.slug: mark for mark in RegulatoryMark.objects.active()},
            initiatives=list(Initiative.objects.published().order_by("slug")),
            first_serial=next_serial(),
            taken_slugs=taken_slugs(),
        )
        through = {field: getattr(Organisation, field).through for field in generator.M2M_FIELDS}
        created = 0
        with tqdm(total=count, unit="org", disable=not show_progress, file=sys.stderr) as progress:
            while created < count:
                batch = [generator.row() for _ in range(min(batch_size, count - created))]
                with transaction.atomic():
                    organisations = Organisation.objects.bulk_create([row.organisation for row in batch])
                    if organisations and organisations[0].pk is None:  # a database that cannot return ids
                        ids = dict(
                            Organisation.objects.filter(slug__in=[o.slug for o in organisations]).values_list(
                                "slug", "pk"
                            )
                        )
                        for organisation in organisations:
                            organisation.pk = ids[organisation.slug]
                    for field, model in through.items():
                        model.objects.bulk_create(
                            [
                                model(
                                    **{"organisation_id": org.pk, f"{model_field(model, field)}_id": item.pk}
                                )
                                for org, row in zip(organisations, batch, strict=True)
                                for item in getattr(row, field)
                            ]
                        )
                    # bulk_create skips signals, so memberships of synthetic rows get no history.
                    Membership.objects.bulk_create(
                        [
                            Membership(organisation_id=org.pk, initiative_id=initiative.pk, role=role)
                            for org, row in zip(organisations, batch, strict=True)
                            for initiative, role in row.memberships
                        ]
                    )
                created += len(batch)
                progress.update(len(batch))
        return created


def model_field(through, field):
    """The through table's column for the other side: 'sector' for Organisation.sectors."""
    target = Organisation._meta.get_field(field).related_model
    return next(f.name for f in through._meta.fields if f.related_model is target)


def next_serial():
    slugs = Organisation.objects.filter(is_demo=True).values_list("slug", flat=True)
    serials = [int(m[1]) for slug in slugs.iterator(chunk_size=10_000) if (m := SERIAL_SUFFIX.search(slug))]
    return max(serials, default=0) + 1


def taken_slugs():
    real = Organisation.objects.filter(is_demo=False).values_list("slug", flat=True)
    return set(real) | set(OrganisationSlugRedirect.objects.values_list("old_slug", flat=True))


class DemoRow:
    __slots__ = ("organisation", "sectors", "care_settings", "regulatory_marks", "memberships")


class DemoGenerator:
    M2M_FIELDS = ("sectors", "care_settings", "regulatory_marks")

    def __init__(self, *, rng, sectors, care_settings, marks, initiatives, first_serial, taken_slugs):
        self.rng = rng
        self.sectors = sectors
        self.care_settings = care_settings
        self.marks = marks
        self.initiatives = initiatives
        self.serial = first_serial
        self.taken = taken_slugs
        self.now = timezone.now()
        self.latest_year = min(self.now.year, 2025)

    def row(self):
        rng = self.rng
        sectors = rng.sample(self.sectors, k=weighted(rng, [(1, 40), (2, 40), (3, 20)]))
        kind = weighted(rng, TYPE_WEIGHTS)
        lead = sectors[0].slug
        stem = rng.choice(NAME_STEMS) + rng.choice(NAME_JOINS)
        word = rng.choice(SECTOR_NAME_WORDS.get(lead, GENERIC_NAME_WORDS))
        name = " ".join(part for part in (stem, word, rng.choice(TYPE_WORDS[kind])) if part)
        slug = self.slug_for(name)

        authority = weighted(rng, AUTHORITY_WEIGHTS)
        district, town = rng.choice(DISTRICTS[authority])
        postcode = f"{district} {rng.randint(1, 9)}{rng.choice(UNIT_LETTERS)}{rng.choice(UNIT_LETTERS)}"
        founded = max(1950, self.latest_year - int(rng.expovariate(1 / 12)))
        band = weighted(rng, BAND_WEIGHTS)
        status = weighted(rng, [(Status.PUBLISHED, 94), (Status.DRAFT, 4), (Status.ARCHIVED, 2)])
        activity = rng.choice(SECTOR_ACTIVITIES.get(lead, ["works in health and care"]))
        audience, other_audience = rng.sample(AUDIENCES, k=2)
        noun = rng.choice(TYPE_NOUNS[kind])
        if kind == "company" and founded >= self.latest_year - 5 and rng.random() < 0.5:
            noun = "start-up"
        summary = f"{town} {noun} that {activity}, working with {audience}."
        description = " ".join(
            [
                f"Founded in {founded}, {name} {activity}.",
                f"Its {BAND_TEAMS[band]} works with {audience} and {other_audience} across {town} "
                f"and the wider Leeds City Region.",
                *(
                    [f"It also {rng.choice(SECTOR_ACTIVITIES.get(sectors[1].slug, ['works in health']))}."]
                    if len(sectors) > 1
                    else []
                ),
                "This is a synthetic demo entry.",
            ]
        )
        row = DemoRow()
        row.sectors = sectors
        row.care_settings = (
            rng.sample(self.care_settings, k=min(len(self.care_settings), rng.randint(1, 2)))
            if self.care_settings and rng.random() < 0.45
            else []
        )
        row.regulatory_marks = self.marks_for({s.slug for s in sectors})
        row.memberships = self.memberships_for(kind)
        row.organisation = Organisation(
            name=name,
            slug=slug,
            organisation_type=kind,
            status=status,
            summary=summary,
            description=description,
            website=f"https://{slug}.example.org",
            email=f"hello@{slug}.example.org" if rng.random() < 0.5 else "",
            town=town,
            local_authority=authority,
            postcode=postcode,
            postcode_district=district,
            headquartered_in_leeds=authority == "leeds" and rng.random() < 0.85,
            founded_year=founded,
            employees_band=band,
            sector_names=" ".join(sorted(s.name for s in sectors)),
            is_demo=True,
            published_at=self.now if status == Status.PUBLISHED else None,
        )
        return row

    def slug_for(self, name):
        base = slugify(name)[:180].strip("-") or "organisation"
        while True:
            slug = f"{base}-{self.serial}"
            self.serial += 1
            if slug not in self.taken:
                return slug

    def marks_for(self, sector_slugs):
        marks = []
        for fits, share, slugs in MARKS_BY_SECTOR:
            if sector_slugs & fits and self.rng.random() < share:
                mark = self.marks.get(self.rng.choice(slugs))
                if mark and mark not in marks:
                    marks.append(mark)
        return marks

    def memberships_for(self, kind):
        if not self.initiatives or self.rng.random() >= 0.12:
            return []
        initiative = self.rng.choice(self.initiatives)
        hosts_residents = initiative.kind in {Initiative.Kind.INNOVATION_HUB, Initiative.Kind.INCUBATOR}
        role = Membership.Role.RESIDENT if hosts_residents and kind == "company" else Membership.Role.MEMBER
        return [(initiative, role)]


def raw_delete(queryset):
    """One DELETE statement without per-row signals: synthetic rows get no history rows on the way
    out, and 100,000 of them go in seconds (Django's own fast-delete path)."""
    return queryset._raw_delete(queryset.db)


@transaction.atomic
def clear_demo():
    demo = Organisation.objects.filter(is_demo=True)
    blockers = Organisation.objects.filter(is_demo=False).filter(
        models.Q(parent__is_demo=True) | models.Q(merged_into__is_demo=True)
    )
    if blockers.exists():
        names = ", ".join(blockers.values_list("name", flat=True)[:5])
        raise CommandError(
            f"Real organisations point at demo rows as parent or merge target ({names}): fix those first."
        )
    demo_ids = demo.values("pk")

    # Many-to-many rows (sectors, care settings, marks, initiative hosts): plain link tables.
    for field in Organisation._meta.many_to_many:
        field.remote_field.through.objects.filter(organisation__in=demo_ids).delete()
    for relation in Organisation._meta.related_objects:
        through = getattr(relation, "through", None)
        if through is not None and through._meta.auto_created:
            own_side = next(f for f in through._meta.fields if f.related_model is Organisation)
            through.objects.filter(**{f"{own_side.name}__in": demo_ids}).delete()

    Membership.history.filter(organisation_id__in=demo_ids).delete()
    raw_delete(Membership.objects.filter(organisation__in=demo_ids))
    Contact.history.filter(organisation_id__in=demo_ids).delete()
    raw_delete(Contact.objects.filter(organisation__in=demo_ids))
    OrganisationSlugRedirect.objects.filter(organisation__in=demo_ids).delete()
    handled = {Membership, Contact, OrganisationSlugRedirect, Organisation}
    for relation in Organisation._meta.related_objects:
        if relation.many_to_many or relation.related_model in handled:
            continue
        if not relation.field.db_constraint:
            continue  # history rows and other loose references: no database constraint to break
        related = relation.related_model._base_manager.filter(**{f"{relation.field.name}__in": demo_ids})
        # Anything hanging off a synthetic row (a suggestion about it, say) is synthetic too.
        if relation.on_delete in (models.CASCADE, models.SET_NULL):
            related.delete()
        elif related.exists():
            raise CommandError(
                f"{relation.related_model._meta.verbose_name_plural} point at demo organisations: "
                "remove them first."
            )
    Organisation.history.filter(is_demo=True).delete()
    count = demo.count()
    raw_delete(demo)
    return count


def reclaim_space():
    """After a large delete, PostgreSQL keeps dead rows in the table and its GIN indexes until a vacuum;
    inserting the next 100,000 rows into that is far slower. VACUUM cannot run inside a transaction."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return
    tables = [Organisation._meta.db_table, Membership._meta.db_table]
    tables += [field.remote_field.through._meta.db_table for field in Organisation._meta.many_to_many]
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"VACUUM (ANALYZE) {connection.ops.quote_name(table)}")
