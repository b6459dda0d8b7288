"""Candidates from public registers and the register's findings about listed organisations.

Imported by organisations/models.py, so that they belong to the organisations app. They point at
Organisation by name ("organisations.Organisation"): this module needs nothing else from the app's
models.
"""

from django.conf import settings
from django.db import models


class Register(models.TextChoices):
    COMPANIES_HOUSE = "companies_house", "Companies House"
    ODS = "ods", "NHS ODS"


class CandidateState(models.TextChoices):
    NEW = "new", "New"
    ACCEPTED = "accepted", "Accepted"
    LINKED = "linked", "Linked"
    DISMISSED = "dismissed", "Dismissed"


class FlagKind(models.TextChoices):
    CLOSED = "closed", "Dissolved or closed"
    STATUS = "status", "Register status not active"
    RENAMED = "renamed", "Name changed"
    MOVED = "moved", "Office moved"
    MISSING = "missing", "Not in the register's complete file"


# The start of the statement the Open Government Licence v3.0 asks for ("… licensed under the Open
# Government Licence v3.0"), naming each register's data as its provider does.
ATTRIBUTIONS = {
    Register.COMPANIES_HOUSE: "Contains Companies House data",
    Register.ODS: "Contains NHS Organisation Data Service data",
}


class CandidateQuerySet(models.QuerySet):
    def to_review(self):
        return self.filter(state=CandidateState.NEW)

    def attributions(self):
        """The licence statements owed for the registers behind published entries, in a fixed order:
        an entry made from, or linked to, a register entry carries that register's information."""
        registers = set(
            self.filter(
                state__in=[CandidateState.ACCEPTED, CandidateState.LINKED],
                organisation__in=self.model._meta.get_field("organisation").related_model.objects.published(),
            ).values_list("register", flat=True)
        )
        return [text for register, text in ATTRIBUTIONS.items() if register in registers]


class Candidate(models.Model):
    """An entry found in a public register that is not (yet) an organisation in the directory.

    Upserted by (register, register_id) on every import: the register's facts refresh, the review
    state and the organisation it became or was linked to never change there, so a dismissed
    entry stays dismissed.
    """

    State = CandidateState

    register = models.CharField(max_length=20, choices=Register.choices)
    register_id = models.CharField(
        "register number", max_length=10, help_text="Companies House number or ODS code."
    )
    name = models.CharField("registered name", max_length=300)
    postcode = models.CharField(max_length=10, blank=True)
    postcode_district = models.CharField(max_length=4, blank=True)
    local_authority = models.CharField(
        max_length=20,
        blank=True,
        help_text="Only where the postcode district lies in one authority (the rules file's table).",
    )
    facts = models.JSONField(default=dict, help_text="What the register says, as of the last import.")
    reasons = models.JSONField(default=list, help_text="Why the import kept this entry.")
    register_url = models.URLField("register entry", max_length=300, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.NEW)
    organisation = models.ForeignKey(
        "organisations.Organisation",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="register_candidates",
        help_text="The organisation it became (accepted) or was linked to.",
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    first_seen_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    source_file = models.CharField(max_length=200, blank=True, help_text="The file of the last import.")

    objects = CandidateQuerySet.as_manager()

    class Meta:
        verbose_name = "register candidate"
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["register", "register_id"], name="candidate_unique_register_id"),
            models.CheckConstraint(
                condition=models.Q(state__in=CandidateState.values), name="candidate_state_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(register__in=Register.values), name="candidate_register_valid"
            ),
        ]
        indexes = [models.Index(fields=["state", "name"], name="candidate_state_name_idx")]

    def __str__(self):
        return f"{self.name} ({self.get_register_display()} {self.register_id})"

    @property
    def companies_house_number(self):
        return self.register_id if self.register == Register.COMPANIES_HOUSE else ""

    @property
    def ods_code(self):
        return self.register_id if self.register == Register.ODS else ""


class RegisterFlagQuerySet(models.QuerySet):
    def open(self):
        return self.filter(resolved_at__isnull=True)


class RegisterFlag(models.Model):
    """Something a register says about a listed organisation that a curator should look at.

    Imports only ever add or refresh flags; the organisation itself is never changed by them. One
    row per finding (organisation, register, kind, register value): a flag a curator resolved is
    not raised again for the same value, but is when the register says something new.
    """

    Kind = FlagKind

    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="register_flags"
    )
    register = models.CharField(max_length=20, choices=Register.choices)
    register_id = models.CharField("register number", max_length=10)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    register_value = models.CharField(
        max_length=300, blank=True, help_text="What the register says (name, postcode, status)."
    )
    detail = models.TextField()
    first_seen_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    source_file = models.CharField(max_length=200, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolution = models.CharField(max_length=300, blank=True)

    objects = RegisterFlagQuerySet.as_manager()

    class Meta:
        ordering = ["-last_seen_at", "organisation_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "register", "kind", "register_value"],
                name="registerflag_unique_finding",
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=FlagKind.values), name="registerflag_kind_valid"
            ),
        ]
        indexes = [models.Index(fields=["resolved_at", "kind"], name="registerflag_open_kind_idx")]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.organisation}"

    @property
    def is_open(self):
        return self.resolved_at is None
