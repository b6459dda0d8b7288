import re

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.db import connections, models
from django.db.models import Prefetch, Value
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from core import validators
from core.fields import WebAddressField
from core.images import ImageFilesModelMixin, ImageSpec
from core.publishing import NaturalKeyManager, PublishingQuerySet, Status
from core.slugs import unique_slug

# Candidates from public registers and their flags are models of this app, kept with the rest of
# that workflow.
from .registers.models import Candidate, Register, RegisterFlag  # noqa: F401
from .search import search
from .search.query import WORD_RE


class SearchDocumentField(SearchVectorField):
    """The tsvector column that PostgreSQL's trigger fills (organisations/search/ddl.py).

    Its column type stays tsvector. It reports a standard internal type only so that Django's bulk
    insert on PostgreSQL can use its UNNEST form (one array per column, not one placeholder per
    value); a 100,000-row CSV import spends a fifth less time inserting with it.
    """

    def get_internal_type(self):
        return "TextField"


class Lifecycle(models.TextChoices):
    """Whether the organisation itself still exists: apart from the publishing `status`, which says
    whether the directory shows its entry."""

    CURRENT = "current", "Current"
    MERGED = "merged", "Merged"
    CLOSED = "closed", "Closed"


class ReferenceQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)

    def with_published_count(self):
        """Each row with `organisation_count`, how many published current organisations carry it
        (merged and closed ones leave counts, as they leave the default list)."""
        return self.annotate(
            organisation_count=models.Count(
                "organisations",
                filter=models.Q(
                    organisations__status=Status.PUBLISHED,
                    organisations__lifecycle=Lifecycle.CURRENT,
                ),
            )
        )

    def in_use(self):
        """Rows that at least one published organisation carries, with their counts."""
        return self.with_published_count().filter(organisation_count__gt=0)


class ReferenceManager(NaturalKeyManager.from_queryset(ReferenceQuerySet)):
    pass


class ReferenceModel(models.Model):
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    # Reference rows are retired, never deleted: organisations and history point at them.
    is_active = models.BooleanField(default=True)

    objects = ReferenceManager()

    class Meta:
        abstract = True
        ordering = ["name"]

    def __str__(self):
        return self.name

    def natural_key(self):
        return (self.slug,)

    def save(self, *args, **kwargs):
        renamed = bool(self.pk) and type(self).objects.filter(pk=self.pk).exclude(name=self.name).exists()
        super().save(*args, **kwargs)
        if renamed:
            # Organisations carry copies of these names for search: the new name must find them at once.
            for organisation in self.organisations.only("pk", "sector_names", "topic_names"):
                organisation.refresh_search_names()


class Sector(ReferenceModel):
    def get_absolute_url(self):
        return reverse("organisations:sector-detail", args=[self.slug])


class CareSetting(ReferenceModel):
    pass


class RegulatoryMark(ReferenceModel):
    pass


def stale_cutoff(months=None):
    """The earliest verification date that is not stale."""
    months = settings.VERIFICATION_STALE_MONTHS if months is None else months
    today = timezone.localdate()
    year, month = divmod(today.year * 12 + today.month - 1 - months, 12)
    month += 1
    # The same day of the month, or the month's last day when it has no such day (31 → 30).
    for day in (today.day, 30, 29, 28):
        try:
            return today.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    raise AssertionError("every month has a 28th")


# Columns only search reads (kept for it by triggers and refresh_search_names()): the search vector
# is the largest part of a row. Pages and the API never show them, so they do not read them.
SEARCH_ONLY_FIELDS = ("search_vector", "sector_names", "topic_names")


class OrganisationQuerySet(PublishingQuerySet):
    def for_display(self, *related):
        """Rows to show, without the search-only columns: of the organisations and of the
        organisations joined to them through each of `related` (foreign keys to organisations)."""
        prefixes = ["", *(f"{relation}__" for relation in related)]
        deferred = [f"{prefix}{name}" for prefix in prefixes for name in SEARCH_ONLY_FIELDS]
        queryset = self.select_related(*related) if related else self
        return queryset.defer(*deferred)

    def demo(self):
        return self.filter(is_demo=True)

    def current(self):
        """Organisations that still exist: what counts, statistics and the default list show."""
        return self.filter(lifecycle=Lifecycle.CURRENT)

    def former(self):
        """Merged and closed organisations: findable, but no longer counted."""
        return self.exclude(lifecycle=Lifecycle.CURRENT)

    def listed(self):
        """What the public counts and the default list are made of: published and current."""
        return self.published().current()

    def stale(self, *, months=None):
        """Entries last verified more than `months` (default: settings.VERIFICATION_STALE_MONTHS)
        ago. An entry never verified is not stale but unverified (`never_verified()`): counting it
        here would make "stale" mean every entry of a new directory."""
        return self.filter(last_verified_on__lt=stale_cutoff(months))

    def never_verified(self):
        return self.filter(last_verified_on__isnull=True)

    def recently_verified(self, *, months=None):
        return self.filter(last_verified_on__gte=stale_cutoff(months))

    def public_memberships(self):
        """Prefetch of each organisation's memberships of published initiatives, as
        `public_memberships`, ordered by initiative name."""
        return Prefetch(
            "memberships",
            queryset=self.model.membership_model()
            .objects.filter(initiative__status=Status.PUBLISHED)
            .select_related("initiative")
            .order_by("initiative__name"),
            to_attr="public_memberships",
        )

    def with_card_relations(self):
        """What a result card shows (sectors, published initiatives, the successor of a merged
        entry), in two queries for any page beside the page's own."""
        return self.for_display("merged_into").prefetch_related(
            Prefetch("sectors", queryset=Sector.objects.order_by("name")), self.public_memberships()
        )

    def search(self, q):
        """Matches for a visitor's query, annotated with `search_rank` (organisations/search/)."""
        return search(self, q)

    def counts_by(self, field):
        """{value: number of organisations} for one column, in one grouped query."""
        return dict(self.order_by().values_list(field).annotate(n=models.Count("pk")))


class OrganisationManager(NaturalKeyManager.from_queryset(OrganisationQuerySet)):
    pass


# An organisation's reference tags: {context name: model}, in the order a profile reads them.
REFERENCE_TAGS = {"sectors": Sector, "care_settings": CareSetting, "regulatory_marks": RegulatoryMark}


class Organisation(ImageFilesModelMixin, models.Model):
    class Type(models.TextChoices):
        COMPANY = "company", "Company"
        NHS = "nhs", "NHS body"
        UNIVERSITY = "university", "University"
        PUBLIC_BODY = "public_body", "Public body"
        CHARITY = "charity", "Charity"
        SUPPORT_ORGANISATION = "support_organisation", "Support organisation"

    class LocalAuthority(models.TextChoices):
        LEEDS = "leeds", "Leeds"
        BRADFORD = "bradford", "Bradford"
        CALDERDALE = "calderdale", "Calderdale"
        KIRKLEES = "kirklees", "Kirklees"
        WAKEFIELD = "wakefield", "Wakefield"
        HARROGATE = "harrogate", "Harrogate"
        YORK = "york", "York"
        CRAVEN = "craven", "Craven"
        SELBY = "selby", "Selby"
        OTHER = "other", "Other"

    class EmployeesBand(models.TextChoices):
        MICRO = "micro", "Micro (1–9)"
        SMALL = "small", "Small (10–49)"
        MEDIUM = "medium", "Medium (50–249)"
        LARGE = "large", "Large (250+)"

    Lifecycle = Lifecycle

    name = models.CharField(max_length=200, help_text="The name people use; headings show it.")
    slug = models.SlugField(max_length=200, unique=True, blank=True)
    legal_name = models.CharField(
        max_length=300,
        blank=True,
        help_text="The registered name, only where it differs from the name: shown once as “Registered as …”.",
    )
    alternative_names = models.CharField(
        max_length=500,
        blank=True,
        help_text="Acronyms and former names, separated by semicolons (LTHT; HSCIC). Searched like the name.",
    )
    organisation_type = models.CharField(max_length=30, choices=Type.choices, default=Type.COMPANY)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children"
    )
    lifecycle = models.CharField(
        max_length=10,
        choices=Lifecycle.choices,
        default=Lifecycle.CURRENT,
        help_text="Whether the organisation still exists. Merged and closed entries stay findable "
        "but leave counts and the default list.",
    )
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="merged_from",
        help_text="The listed organisation it merged into (or, for a duplicate entry, the entry that replaced it).",
    )
    successor_text = models.CharField(
        "successor (not listed)",
        max_length=200,
        blank=True,
        help_text="What it merged into, when that is not an organisation in the directory.",
    )
    ended_year = models.PositiveSmallIntegerField(
        "year it merged or closed",
        null=True,
        blank=True,
        validators=[validators.validate_founded_year_floor, validators.NotInTheFutureYearValidator()],
        help_text="Only where a source states it.",
    )
    summary = models.CharField(max_length=400, blank=True, help_text="One line, read on result cards.")
    description = models.TextField(blank=True)
    website = WebAddressField(max_length=500, blank=True, validators=[validators.validate_http_url])
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    # Set only through core/images.py (re-encoded, generated names): see `image_spec`.
    logo = models.ImageField(upload_to="logos/", blank=True)
    logo_thumbnail_small = models.ImageField(upload_to="logos/thumbs/", blank=True, editable=False)
    logo_thumbnail_large = models.ImageField(upload_to="logos/thumbs/", blank=True, editable=False)
    address_line = models.CharField(max_length=300, blank=True)
    town = models.CharField(max_length=100, blank=True)
    local_authority = models.CharField(max_length=20, choices=LocalAuthority.choices, blank=True)
    postcode = models.CharField(max_length=10, blank=True)
    postcode_district = models.CharField(max_length=4, blank=True, editable=False, db_index=True)
    headquartered_in_leeds = models.BooleanField(default=False)
    companies_house_number = models.CharField(max_length=10, blank=True)
    ods_code = models.CharField("ODS code", max_length=10, blank=True)
    founded_year = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[validators.validate_founded_year_floor, validators.NotInTheFutureYearValidator()],
    )
    employees_band = models.CharField(max_length=10, choices=EmployeesBand.choices, blank=True)
    sectors = models.ManyToManyField(Sector, blank=True, related_name="organisations")
    care_settings = models.ManyToManyField(CareSetting, blank=True, related_name="organisations")
    regulatory_marks = models.ManyToManyField(RegulatoryMark, blank=True, related_name="organisations")
    # Denormalised for full-text search, which cannot see M2M names: refreshed by
    # refresh_search_names() whenever the sectors, care settings or marks change (ARCHITECTURE.md §6).
    sector_names = models.TextField(blank=True, editable=False)
    topic_names = models.TextField(blank=True, editable=False, help_text="Care setting and mark names.")
    # Kept by a PostgreSQL trigger (organisations/search/ddl.py); always NULL on SQLite, which uses FTS5.
    search_vector = SearchDocumentField(null=True, editable=False)
    source_url = WebAddressField(max_length=500, blank=True, validators=[validators.validate_http_url])
    last_verified_on = models.DateField(null=True, blank=True)
    is_demo = models.BooleanField(default=False, editable=False, help_text="Synthetic row from seed_demo.")
    published_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = OrganisationManager()
    history = HistoricalRecords(excluded_fields=["sector_names", "topic_names", "search_vector"])
    image_spec = ImageSpec(
        field="logo", folder="logos", thumbnails={"logo_thumbnail_small": 96, "logo_thumbnail_large": 320}
    )

    class Meta:
        ordering = ["name"]
        permissions = [("publish_organisation", "Can publish, archive and merge organisations")]
        constraints = [
            models.UniqueConstraint(
                fields=["companies_house_number"],
                condition=~models.Q(companies_house_number=""),
                name="organisation_unique_companies_house_number",
                violation_error_message="Another organisation already has this Companies House number.",
            ),
            models.CheckConstraint(
                condition=models.Q(founded_year__isnull=True)
                | models.Q(founded_year__gte=1800, founded_year__lte=2100),
                name="organisation_founded_year_range",
                violation_error_message="The founded year must be between 1800 and 2100.",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=Status.values),
                name="organisation_status_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(merged_into=models.F("id")),
                name="organisation_not_merged_into_itself",
            ),
            models.CheckConstraint(
                condition=models.Q(lifecycle__in=Lifecycle.values),
                name="organisation_lifecycle_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(successor_text="") | models.Q(lifecycle=Lifecycle.MERGED),
                name="organisation_successor_only_when_merged",
                violation_error_message="Only a merged organisation has a successor.",
            ),
            models.CheckConstraint(
                condition=models.Q(ended_year__isnull=True)
                | (
                    models.Q(ended_year__gte=1800, ended_year__lte=2100)
                    & ~models.Q(lifecycle=Lifecycle.CURRENT)
                ),
                name="organisation_ended_year_when_former",
                violation_error_message="Only a merged or closed organisation has a year it ended, "
                "between 1800 and 2100.",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "name"], name="org_status_name_idx"),
            # The public list's default order (case-insensitive name, then id) straight from an index;
            # on PostgreSQL it also carries what the in-process facet index reads
            # (organisations/facet_index.py), so that read never touches the wide rows. `name` is
            # included because PostgreSQL reads an expression's column from an index-only scan.
            models.Index(
                Lower("name"),
                models.F("id"),
                name="org_published_lower_name_idx",
                condition=models.Q(status="published"),
                include=[
                    "name",
                    "organisation_type",
                    "employees_band",
                    "local_authority",
                    "postcode_district",
                    "headquartered_in_leeds",
                    "founded_year",
                    "lifecycle",
                    "created_at",
                ],
            ),
            # Imports find a parent named in a CSV cell by its name, in any case.
            models.Index(Lower("name"), name="org_lower_name_idx"),
            models.Index(fields=["status", "-created_at"], name="org_status_created_idx"),
            models.Index(fields=["status", "founded_year"], name="org_status_founded_idx"),
            models.Index(fields=["updated_at"], name="org_updated_idx"),
            # The media view asks whether a published entry uses an image (core/images.py).
            models.Index(fields=["logo"], name="org_logo_idx", condition=~models.Q(logo="")),
        ]

    def __str__(self):
        return self.name

    def natural_key(self):
        return (self.slug,)

    def get_absolute_url(self):
        return reverse("organisations:organisation-detail", args=[self.slug])

    @property
    def is_public(self):
        return self.status == Status.PUBLISHED

    # Memberships and initiatives belong to the initiatives app, which builds on this one: this
    # app reaches them through the relation rather than by importing that app.
    @classmethod
    def membership_model(cls):
        return cls._meta.get_field("memberships").related_model

    @classmethod
    def initiative_model(cls):
        return cls.membership_model()._meta.get_field("initiative").related_model

    @property
    def alternative_names_list(self):
        return [n.strip() for n in self.alternative_names.split(";") if n.strip()]

    @property
    def is_former(self):
        return self.lifecycle != Lifecycle.CURRENT

    @property
    def is_merged_duplicate(self):
        """A duplicate entry folded into another by a curator (services.organisation_merge), as
        opposed to an organisation that itself merged into another."""
        return bool(self.merged_into_id) and self.lifecycle == Lifecycle.CURRENT

    @property
    def successor_name(self):
        return self.merged_into.name if self.merged_into_id else self.successor_text

    @property
    def former_label(self):
        """ "Merged into NHS England", "Closed in 2019": what a merged or closed entry says of
        itself; "" for a current one. A year only where one is recorded."""
        if self.lifecycle == Lifecycle.MERGED:
            label = f"Merged into {self.successor_name}" if self.successor_name else "Merged"
        elif self.lifecycle == Lifecycle.CLOSED:
            label = "Closed"
        else:
            return ""
        return f"{label} in {self.ended_year}" if self.ended_year else label

    def reference_tags(self):
        """{"sectors", "care_settings", "regulatory_marks": [each by name]}, in one query (a union
        of the three link tables) rather than three."""
        parts = [
            model.objects.filter(organisations=self)
            .order_by()  # the union is ordered, not its parts (SQLite refuses ordered parts)
            .annotate(tag_kind=Value(name))
            .values_list("tag_kind", "pk", "name", "slug")
            for name, model in REFERENCE_TAGS.items()
        ]
        tags = {name: [] for name in REFERENCE_TAGS}
        for kind, pk, name, slug in parts[0].union(*parts[1:], all=True).order_by("name", "pk"):
            # What a tag shows: its name and its link (from the slug).
            tags[kind].append(REFERENCE_TAGS[kind](pk=pk, name=name, slug=slug))
        return tags

    def place_facts(self):
        """[(term, [lines])] for the address, local authority and headquarters, saying each place
        once: a town of "Leeds" is not repeated as the local authority, nor as the headquarters
        (the address is then headed "Based in"). Unknown values, and "other", are left out."""
        locality = " ".join(part for part in (self.town, self.postcode) if part)
        address = [line for line in (self.address_line, locality) if line]
        said = " ".join(address)
        facts = []
        if address:
            in_leeds = self.headquartered_in_leeds and _names_place(said, "Leeds")
            facts.append(("Based in" if in_leeds else "Address", address))
        if self.local_authority and self.local_authority != self.LocalAuthority.OTHER:
            authority = self.get_local_authority_display()
            if not _names_place(said, authority):
                facts.append(("Local authority", [authority]))
                said = f"{said} {authority}"
        if self.headquartered_in_leeds and not (address and _names_place(said, "Leeds")):
            facts.append(("Headquarters", ["Leeds"]))
        return facts

    NORMALISED_FIELDS = {
        "postcode": validators.normalise_postcode,
        "companies_house_number": validators.normalise_companies_house_number,
        "ods_code": validators.normalise_ods_code,
    }

    def normalise_identifiers(self):
        """Put identifiers in canonical form; return {field: messages} for those that are invalid."""
        errors = {}
        for field, normalise in self.NORMALISED_FIELDS.items():
            try:
                setattr(self, field, normalise(getattr(self, field)))
            except ValidationError as error:
                errors[field] = error.messages
        return errors

    def clean_fields(self, exclude=None):
        # Normalise first, so that length and format checks see the canonical value.
        errors = {
            field: messages
            for field, messages in self.normalise_identifiers().items()
            if not exclude or field not in exclude
        }
        try:
            super().clean_fields(exclude=set(exclude or ()) | set(errors))
        except ValidationError as error:
            errors.update(error.message_dict)
        if errors:
            raise ValidationError(errors)

    def clean(self):
        errors = {}
        if self.parent_id and self.pk and self.parent_id == self.pk:
            errors["parent"] = ["An organisation cannot be its own parent."]
        if self.merged_into_id and self.pk and self.merged_into_id == self.pk:
            errors["merged_into"] = ["An organisation cannot be merged into itself."]
        errors.update(self._lifecycle_errors())
        if errors:
            raise ValidationError(errors)

    def _lifecycle_errors(self):
        errors = {}
        if self.successor_text and self.lifecycle != Lifecycle.MERGED:
            errors["successor_text"] = [
                "Only a merged organisation has a successor: set the lifecycle to merged."
            ]
        elif self.successor_text and self.merged_into_id:
            errors["successor_text"] = [
                "The successor is listed: leave this empty when “merged into” is set."
            ]
        if self.ended_year and self.lifecycle == Lifecycle.CURRENT:
            errors["ended_year"] = [
                "A current organisation has not ended: set the lifecycle to merged or closed."
            ]
        elif self.ended_year and self.founded_year and self.ended_year < self.founded_year:
            errors["ended_year"] = ["The year it ended is before the year it was founded."]
        if self.merged_into_id and self.lifecycle == Lifecycle.CLOSED:
            errors["merged_into"] = ["A closed organisation did not merge: set the lifecycle to merged."]
        if self.merged_into_id and self.lifecycle == Lifecycle.CURRENT and self.status == Status.PUBLISHED:
            # Only the merge action pairs merged_into with a current lifecycle, and it archives the entry.
            errors["lifecycle"] = [
                "An organisation merged into another is not current: set the lifecycle to merged."
            ]
        return errors

    def save(self, *args, **kwargs):
        self.name = self.name.strip()
        if not self.slug:
            self.slug = unique_slug(Organisation, self.name, exclude_pk=self.pk)
        # Saving from code paths that skip clean() still stores canonical forms when they are valid.
        self.normalise_identifiers()
        self.postcode_district = validators.postcode_district(self.postcode)
        if self.status == Status.PUBLISHED and self.published_at is None:
            self.published_at = timezone.now()
        old_slug = self._stored_slug()
        super().save(*args, **kwargs)
        if old_slug != self.slug:
            # The current slug always wins over a redirect that another entry left behind.
            OrganisationSlugRedirect.objects.filter(old_slug=self.slug).delete()
            if old_slug:
                OrganisationSlugRedirect.objects.update_or_create(
                    old_slug=old_slug, defaults={"organisation": self}
                )

    def _stored_slug(self):
        if not self.pk:
            return None
        return Organisation.objects.filter(pk=self.pk).values_list("slug", flat=True).first()

    def refresh_search_names(self):
        """Copy the names of its sectors, care settings and regulatory marks onto the row for search
        (rebuild_index() does the same in bulk); call after changing any of them."""
        topics = (
            self.care_settings.order_by()
            .values_list("name", flat=True)
            .union(self.regulatory_marks.order_by().values_list("name", flat=True), all=True)
        )
        names = {
            "sector_names": " ".join(self.sectors.order_by("name").values_list("name", flat=True)),
            "topic_names": " ".join(topics.order_by("name")),
        }
        changed = {field: value for field, value in names.items() if getattr(self, field) != value}
        if changed:
            for field, value in changed.items():
                setattr(self, field, value)
            # Copies kept out of history: a save would record a version nobody made.
            Organisation.objects.filter(pk=self.pk).update(**changed)

    def public_contacts(self):
        return self.contacts.public()


class VerificationMethod(models.TextChoices):
    WEBSITE = "website", "Website checked"
    ORGANISATION = "organisation", "Organisation confirmed"
    REGISTER = "register", "Register checked"


class Verification(models.Model):
    """A curator's check that an entry is still right: who, when and how. The entry's
    `last_verified_on` is the latest of them (services.verification_record)."""

    Method = VerificationMethod

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="verifications")
    checked_on = models.DateField(default=timezone.localdate)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    method = models.CharField("how", max_length=20, choices=Method.choices)
    note = models.TextField(blank=True, help_text="What was checked or confirmed, and where. Never public.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-checked_on", "-pk"]
        indexes = [
            models.Index(fields=["organisation", "-checked_on"], name="verification_org_checked_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(method__in=VerificationMethod.values),
                name="verification_method_valid",
            ),
        ]

    def __str__(self):
        return f"{self.organisation}: {self.get_method_display().lower()} on {self.checked_on:%d %B %Y}"

    def clean(self):
        if self.checked_on and self.checked_on > timezone.localdate():
            raise ValidationError({"checked_on": "A check cannot be in the future."})


def _names_place(text, place):
    return bool(re.search(rf"\b{re.escape(place)}\b", text, re.IGNORECASE))


class SynonymManager(models.Manager):
    def get_by_natural_key(self, term):
        return self.get(term=term)


class Synonym(models.Model):
    """A curated group of equivalent search terms (AI, artificial intelligence, machine learning):
    a search for any of them also finds what the others find. Applied when a query is read, so an
    edit counts at once (organisations/search/lexicon.py)."""

    term = models.CharField(
        max_length=100,
        help_text="The main term, as people write it: “AI”, “electronic patient record”.",
    )
    equivalents = models.TextField(
        help_text="One per line: other words for the same thing, such as “artificial intelligence” and "
        "“machine learning”. Write an acronym in capitals (“EPR”): it then matches whole words only.",
    )

    objects = SynonymManager()

    class Meta:
        ordering = ["term"]
        constraints = [
            models.UniqueConstraint(
                Lower("term"),
                name="synonym_unique_term",
                violation_error_message="There is already a group for this term.",
            ),
            models.CheckConstraint(condition=~models.Q(term=""), name="synonym_term_not_empty"),
        ]

    def __str__(self):
        return self.term

    def natural_key(self):
        return (self.term,)

    @property
    def equivalents_list(self):
        return [line.strip() for line in self.equivalents.splitlines() if line.strip()]

    def phrases(self):
        """Every phrase of the group, the term first."""
        return [self.term.strip(), *self.equivalents_list]

    def clean(self):
        errors = {}
        seen = {}
        for phrase in self.phrases():
            words = normalised_phrase(phrase)
            if not words:
                field = "term" if phrase == self.term.strip() else "equivalents"
                errors.setdefault(field, []).append(f"“{phrase}” has no letters or digits to search for.")
            elif words in seen:
                errors.setdefault("equivalents", []).append(f"“{phrase}” repeats “{seen[words]}”.")
            else:
                seen[words] = phrase
        if not self.equivalents_list:
            errors.setdefault("equivalents", []).append("Give at least one other word for the term.")
        for other in Synonym.objects.exclude(pk=self.pk):
            shared = [seen[words] for words in map(normalised_phrase, other.phrases()) if words in seen]
            if shared:
                errors.setdefault("equivalents", []).append(
                    f"“{shared[0]}” is already in the group “{other.term}”: "
                    "a phrase belongs to one group, so that a search reads it one way."
                )
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs):
        self.term = self.term.strip()
        self.equivalents = "\n".join(self.equivalents_list)
        super().save(*args, **kwargs)


def normalised_phrase(phrase):
    """A phrase as search reads it: its lower-cased words."""
    return tuple(word.lower() for word in WORD_RE.findall(phrase))


class SearchTerm(models.Model):
    """A word of the published entries' names, alternative names, sector names or summaries: the
    vocabulary that typo tolerance and "Did you mean" draw on.

    On PostgreSQL, triggers add the words of every published row as it is written and
    `rebuild_index()` drops those no longer public (organisations/search/ddl.py). SQLite has no
    typo tolerance and reads "Did you mean" words from the published rows, so there the table
    exists (the model works everywhere) but stays empty.
    """

    word = models.TextField(primary_key=True)

    class Meta:
        db_table = "organisations_search_term"
        ordering = ["word"]

    def __str__(self):
        return self.word


class SearchRow(models.Model):
    """What a search reads of each published organisation, and nothing else: its search vector and
    the names that ranking and the name order read.

    On PostgreSQL, statement-level triggers on the organisation table keep it exactly in step with
    publishing, editing and deleting, and `rebuild_index()` renews it (organisations/search/ddl.py);
    the public list's search reads it (facet_index.search_ids), so that matching and ranking at
    100,000 organisations scan a table of these few columns rather than the wide rows. SQLite
    searches its FTS5 tables: there the table exists (the model works everywhere) but stays empty.
    """

    # No foreign key constraint: the triggers keep the rows in step, and a flush or a delete of
    # organisations needs no order between the tables. DO_NOTHING: Django's delete must not query
    # this table row by row.
    organisation = models.OneToOneField(
        Organisation,
        primary_key=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    search_vector = SearchDocumentField(null=True, editable=False)
    # The names as ranking and the name order read them, lower-cased once when written rather than
    # for every match of every search (ranking.lowered_names and postgresql.names_text compute the
    # same from the organisation's columns).
    name_lower = models.TextField(help_text="lower(name): the name order, and exact names.")
    other_names = models.TextField(
        help_text="The lower-cased alternative names and legal name, each between semicolons."
    )
    names = models.TextField(help_text="Name, legal name and alternative names: for trigram similarity.")

    # The columns above are what search reads instead of computing them (search/ranking.py).
    STORED_NAMES = True

    class Meta:
        db_table = "organisations_search_row"

    def __str__(self):
        return self.name_lower

    @classmethod
    def membership_model(cls):
        """Search ranks the members of an initiative a query names (search/ranking.py)."""
        return Organisation.membership_model()


class OrganisationSlugRedirect(models.Model):
    """A slug an organisation used to have, so that old links answer with a 301."""

    old_slug = models.SlugField(max_length=200, unique=True)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="old_slugs")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"{self.old_slug} → {self.organisation.slug}"


class ContactQuerySet(PublishingQuerySet):
    def public(self):
        """The only contacts that ever leave the back office: listed with consent, and published."""
        return self.published().filter(is_public=True, consent_recorded_on__isnull=False)


class Contact(models.Model):
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.CASCADE, related_name="contacts"
    )
    initiative = models.ForeignKey(
        "initiatives.Initiative", null=True, blank=True, on_delete=models.CASCADE, related_name="contacts"
    )
    name = models.CharField(max_length=200)
    job_title = models.CharField(max_length=200, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    is_public = models.BooleanField(
        default=False, help_text="Shown on the public site. Needs recorded consent."
    )
    consent_recorded_on = models.DateField(null=True, blank=True)
    # Published by default so that rows loaded as data (fixtures, a restore) stay as their source
    # states; the back office starts an Editor's new contact, or one an Editor makes public, as a
    # draft that waits for a Publisher (organisations/admin.py).
    status = models.CharField(
        max_length=20,
        choices=Status.choices,
        default=Status.PUBLISHED,
        help_text="A contact is shown only once published (by a Publisher) and public with consent.",
    )
    internal_notes = models.TextField(blank=True, help_text="Never shown outside the back office.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ContactQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(organisation__isnull=False, initiative__isnull=True)
                    | models.Q(organisation__isnull=True, initiative__isnull=False)
                ),
                name="contact_belongs_to_exactly_one_owner",
                violation_error_message="A contact belongs to exactly one organisation or one initiative.",
            ),
            models.CheckConstraint(
                condition=models.Q(is_public=False) | models.Q(consent_recorded_on__isnull=False),
                name="contact_public_needs_consent",
                violation_error_message="A public contact needs the date their consent was recorded.",
            ),
            models.CheckConstraint(condition=models.Q(status__in=Status.values), name="contact_status_valid"),
        ]
        permissions = [("publish_contact", "Can publish contacts")]

    def __str__(self):
        return self.name

    def clean(self):
        errors = {}
        if self.is_public and not self.consent_recorded_on:
            errors["consent_recorded_on"] = "Record the date of consent before making a contact public."
        if bool(self.organisation_id) == bool(self.initiative_id):
            errors["__all__"] = "A contact belongs to exactly one organisation or one initiative."
        if errors:
            raise ValidationError(errors)


class Submission(models.Model):
    """A visitor's suggestion of a new organisation or of a change to one, waiting for review."""

    class Kind(models.TextChoices):
        NEW = "new", "New organisation"
        UPDATE = "update", "Update to an organisation"

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        ACCEPTED = "accepted", "Accepted"
        REJECTED = "rejected", "Rejected"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.SET_NULL, related_name="submissions"
    )
    proposed = models.JSONField(default=dict, help_text="Proposed field values, keyed by field name.")
    message = models.TextField(blank=True)
    submitter_name = models.CharField(max_length=200, blank=True)
    submitter_email = models.EmailField(blank=True, help_text="Never public.")
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.TextField(blank=True)
    created_organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["state", "-created_at"], name="submission_state_created_idx")]

    def clean(self):
        # Not a database constraint: deleting an organisation leaves its pending suggestions behind
        # (SET_NULL) for a reviewer to reject, rather than blocking the deletion.
        if self.kind == self.Kind.UPDATE and self._state.adding and not self.organisation_id:
            raise ValidationError({"organisation": "A suggested update names the organisation it is about."})

    def __str__(self):
        target = self.organisation or self.proposed.get("name", "new organisation")
        return f"{self.get_kind_display()}: {target}"


# Counters of windows that ended longer ago than this are deleted.
RATE_LIMIT_COUNTER_KEPT = timezone.timedelta(days=1)


class RateLimitCounterQuerySet(models.QuerySet):
    def hit(self, group, client, window_start, increment):
        """The count of `client`'s requests to `group` in the window, after this one when `increment`:
        one atomic upsert, so that simultaneous requests in any worker each get their own number."""
        if not increment:
            counts = self.filter(group=group, client=client, window_start=window_start)
            return counts.values_list("count", flat=True).first() or 0
        connection = connections[self.db]
        table, group_, client_, window_, count_ = map(
            connection.ops.quote_name, [self.model._meta.db_table, "group", "client", "window_start", "count"]
        )
        # Only this model's quoted names are formatted in; the values are parameters.
        upsert = f"INSERT INTO {table} ({group_}, {client_}, {window_}, {count_}) VALUES (%s, %s, %s, 1) ON CONFLICT ({group_}, {client_}, {window_}) DO UPDATE SET {count_} = {table}.{count_} + 1 RETURNING {count_}"  # noqa: S608
        with connection.cursor() as cursor:
            cursor.execute(upsert, [group, client, connection.ops.adapt_datetimefield_value(window_start)])
            count = cursor.fetchone()[0]
        if count == 1:
            # A new window: forget the ones that ended long before it.
            self.filter(window_start__lt=window_start - RATE_LIMIT_COUNTER_KEPT).delete()
        return count


class RateLimitCounter(models.Model):
    """Requests counted per client and time window, for rate limits while no shared cache answers
    (core/ratelimit.py). The client is a keyed hash of its address, never the address."""

    group = models.CharField(max_length=40)
    client = models.CharField(max_length=64)
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    objects = RateLimitCounterQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["group", "client", "window_start"], name="ratelimitcounter_unique_window"
            ),
        ]
        indexes = [models.Index(fields=["window_start"], name="ratelimitcounter_window_idx")]

    def __str__(self):
        return f"{self.group}: {self.count} since {self.window_start:%Y-%m-%d %H:%M}"
