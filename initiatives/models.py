from django.db import models
from django.urls import reverse
from simple_history.models import HistoricalRecords

from core.fields import WebAddressField
from core.images import ImageFilesModelMixin, ImageSpec
from core.publishing import NaturalKeyManager, PublishingQuerySet, Status
from core.slugs import unique_slug
from core.validators import validate_http_url
from organisations.models import SEARCH_ONLY_FIELDS, Lifecycle


class InitiativeQuerySet(PublishingQuerySet):
    def with_member_count(self):
        """Each initiative with `member_count`, its published current member organisations (merged
        and closed ones leave counts)."""
        return self.annotate(
            member_count=models.Count(
                "memberships",
                filter=models.Q(
                    memberships__organisation__status=Status.PUBLISHED,
                    memberships__organisation__lifecycle=Lifecycle.CURRENT,
                ),
            )
        )

    def with_public_hosts(self):
        """Prefetch each initiative's published hosts as `public_hosts`, by name."""
        organisation = self.model._meta.get_field("hosts").related_model
        return self.prefetch_related(
            models.Prefetch(
                "hosts",
                queryset=organisation.objects.published().for_display().order_by("name"),
                to_attr="public_hosts",
            )
        )

    def with_public_people(self):
        """Published hosts (`public_hosts`) and the memberships of published organisations
        (`public_memberships`), each by name."""
        return self.with_public_hosts().prefetch_related(
            models.Prefetch(
                "memberships",
                queryset=Membership.objects.of_listed_organisations()
                .select_related("organisation")
                .defer(*(f"organisation__{name}" for name in SEARCH_ONLY_FIELDS))
                .order_by("organisation__name"),
                to_attr="public_memberships",
            ),
        )


class InitiativeManager(NaturalKeyManager.from_queryset(InitiativeQuerySet)):
    pass


class Initiative(ImageFilesModelMixin, models.Model):
    class Kind(models.TextChoices):
        INNOVATION_HUB = "innovation_hub", "Innovation hub"
        RESEARCH_PARTNERSHIP = "research_partnership", "Research partnership"
        INCUBATOR = "incubator", "Incubator"
        NETWORK = "network", "Network"
        PROGRAMME = "programme", "Programme"
        BUILDING = "building", "Building"

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True, blank=True)
    kind = models.CharField(max_length=30, choices=Kind.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    summary = models.CharField(max_length=400, blank=True)
    description = models.TextField(blank=True)
    website = WebAddressField(max_length=500, blank=True, validators=[validate_http_url])
    # Set only through core/images.py (re-encoded, generated names): see `image_spec`.
    logo = models.ImageField(upload_to="initiative-logos/", blank=True)
    location = models.CharField(max_length=300, blank=True)
    operator = models.ForeignKey(
        "organisations.Organisation",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="operated_initiatives",
        help_text="The organisation that runs it, where a source says so. Its page lists this initiative.",
    )
    hosts = models.ManyToManyField(
        "organisations.Organisation", blank=True, related_name="hosted_initiatives"
    )
    partners_text = models.CharField(
        max_length=500,
        blank=True,
        help_text="Hosts and partners that are not organisations in the directory.",
    )
    members = models.ManyToManyField(
        "organisations.Organisation", through="Membership", related_name="initiatives", blank=True
    )
    source_url = WebAddressField(max_length=500, blank=True, validators=[validate_http_url])
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = InitiativeManager()
    history = HistoricalRecords()
    image_spec = ImageSpec(field="logo", folder="initiative-logos")

    class Meta:
        ordering = ["name"]
        permissions = [("publish_initiative", "Can publish and archive initiatives")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=Status.values), name="initiative_status_valid"
            ),
        ]
        indexes = [
            # The media view asks whether a published entry uses an image (core/images.py).
            models.Index(fields=["logo"], name="initiative_logo_idx", condition=~models.Q(logo="")),
        ]

    def __str__(self):
        return self.name

    def natural_key(self):
        return (self.slug,)

    def get_absolute_url(self):
        return reverse("initiatives:initiative-detail", args=[self.slug])

    def save(self, *args, **kwargs):
        self.name = self.name.strip()
        if not self.slug:
            self.slug = unique_slug(Initiative, self.name, exclude_pk=self.pk)
        super().save(*args, **kwargs)


class MembershipQuerySet(models.QuerySet):
    def of_published_organisations(self):
        return self.filter(organisation__status=Status.PUBLISHED)

    def of_listed_organisations(self):
        """Memberships of published current organisations: those an initiative's page lists."""
        return self.of_published_organisations().filter(organisation__lifecycle=Lifecycle.CURRENT)


class MembershipManager(models.Manager.from_queryset(MembershipQuerySet)):
    def get_by_natural_key(self, organisation_slug, initiative_slug):
        return self.get(organisation__slug=organisation_slug, initiative__slug=initiative_slug)


class KeyFigureQuerySet(PublishingQuerySet):
    def public(self):
        """Published figures about the ecosystem as their sources report them; none tied to an
        unpublished initiative."""
        return (
            self.published()
            .filter(models.Q(initiative__isnull=True) | models.Q(initiative__status=Status.PUBLISHED))
            .select_related("initiative")
        )


class KeyFigureManager(NaturalKeyManager.from_queryset(KeyFigureQuerySet)):
    pass


class Membership(models.Model):
    class Role(models.TextChoices):
        RESIDENT = "resident", "Resident"
        MEMBER = "member", "Member"
        PARTNER = "partner", "Partner"
        FOUNDING_PARTNER = "founding_partner", "Founding partner"
        ALUMNUS = "alumnus", "Alumnus"

    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="memberships"
    )
    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.MEMBER)
    since = models.DateField(null=True, blank=True)
    source_url = WebAddressField(max_length=500, blank=True, validators=[validate_http_url])

    objects = MembershipManager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["initiative__name", "organisation__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "initiative"],
                name="membership_unique_organisation_initiative",
                violation_error_message="This organisation is already a member of this initiative.",
            ),
        ]

    def __str__(self):
        return f"{self.organisation} in {self.initiative} ({self.get_role_display()})"

    def natural_key(self):
        return (self.organisation.slug, self.initiative.slug)

    natural_key.dependencies = ["organisations.organisation", "initiatives.initiative"]


class KeyFigure(models.Model):
    """A figure about the ecosystem as reported by a named source (never computed here)."""

    label = models.CharField(max_length=300)
    value = models.CharField(max_length=40, help_text='As reported: ">£3bn", "third", "~16,000".')
    source_name = models.CharField(max_length=300)
    source_url = WebAddressField(max_length=500, validators=[validate_http_url])
    as_of = models.DateField(null=True, blank=True, help_text="When the figure applies, if the source says.")
    as_of_label = models.CharField(
        max_length=40, blank=True, help_text='As the source puts it: "2025", "Q1 2025".'
    )
    initiative = models.ForeignKey(
        Initiative, null=True, blank=True, on_delete=models.SET_NULL, related_name="key_figures"
    )
    slug = models.SlugField(max_length=100, unique=True)
    order = models.PositiveSmallIntegerField(default=0)
    # Published by default so that the figures fixture loads as its sources state; the back office
    # starts a figure an Editor adds as a draft that waits for a Publisher (initiatives/admin.py).
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PUBLISHED)

    objects = KeyFigureManager()

    class Meta:
        ordering = ["order", "pk"]
        permissions = [("publish_keyfigure", "Can publish key figures")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=Status.values), name="keyfigure_status_valid"
            ),
        ]

    def __str__(self):
        return f"{self.value} {self.label}"

    def natural_key(self):
        return (self.slug,)
