"""Writing planned rows in bulk through the history-aware helpers of organisations/bulk.py: one
statement per chunk for the organisations, their history, slug redirects and link rows."""

from django.utils import timezone

from core.validators import postcode_district

from ..bulk import copy_to_history, insert_pairs, update_rows
from ..models import Organisation, OrganisationSlugRedirect, Sector, Status
from .columns import RELATION_COLUMNS

Membership = Organisation.membership_model()
HISTORY_REASON = "CSV import"


class Writer:
    """Writes the plans of one file in order. A row whose parent is a new row of the file waits
    until that parent is written and has an id."""

    def __init__(self, *, user, parent_slugs):
        self.user = user
        self.parent_slugs = parent_slugs  # new rows named as parent, found by the checking pass
        self.created_pks = {}  # slug of such a row -> its id, once written
        self.sector_names = dict(Sector.objects.values_list("pk", "name"))
        self.left_public = False

    def write(self, plans):
        now = timezone.now()
        pending = []
        for plan in plans:
            if plan.parent_slug is not None:
                if plan.parent_slug not in self.created_pks:
                    self.write_batch(pending, now)
                    pending = []
                plan.instance.parent_id = self.created_pks[plan.parent_slug]
            pending.append(plan)
        self.write_batch(pending, now)

    def write_batch(self, plans, now):
        if not plans:
            return
        new = [plan for plan in plans if plan.is_new]
        updates = [plan for plan in plans if not plan.is_new]
        fields = self.set_derived_columns(plans, now)
        if new:
            created = Organisation.objects.bulk_create([plan.instance for plan in new])
            for plan, obj in zip(new, created, strict=True):
                plan.instance = obj
                if obj.slug in self.parent_slugs:
                    self.created_pks[obj.slug] = obj.pk
            self.record_history(Organisation, [obj.pk for obj in created], "+", now)
        if updates:
            update_rows(Organisation, [plan.instance for plan in updates], sorted(fields))
            self.record_history(Organisation, [plan.instance.pk for plan in updates], "~", now)
        ordered = [*new, *updates]
        self.write_slug_redirects(ordered)
        self.write_links(ordered)
        self.write_memberships(ordered, now)
        self.left_public = self.left_public or any(plan.leaves_public for plan in ordered)

    def set_derived_columns(self, plans, now):
        """Set the columns derived from the given ones; return the columns an update saves."""
        fields = {"updated_at"}
        for plan in plans:
            o = plan.instance
            derived = {
                "postcode_district": postcode_district(o.postcode),
                "published_at": now
                if o.status == Status.PUBLISHED and o.published_at is None
                else o.published_at,
            }
            if "sectors" in plan.relations:
                derived["sector_names"] = " ".join(
                    sorted(self.sector_names[pk] for pk in plan.relations["sectors"])
                )
            for name, value in derived.items():
                if getattr(o, name) != value:
                    setattr(o, name, value)
                    if not plan.is_new:
                        fields.add(name)
            o.updated_at = now
            if not plan.is_new:
                fields |= plan.changed
        return fields

    def write_slug_redirects(self, plans):
        OrganisationSlugRedirect.objects.filter(
            old_slug__in=[p.instance.slug for p in plans if p.is_new or p.old_slug]
        ).delete()
        moved = [p for p in plans if p.old_slug]
        if moved:
            OrganisationSlugRedirect.objects.filter(old_slug__in=[p.old_slug for p in moved]).delete()
            OrganisationSlugRedirect.objects.bulk_create(
                [OrganisationSlugRedirect(old_slug=p.old_slug, organisation_id=p.instance.pk) for p in moved]
            )

    def write_links(self, plans):
        """Replace the sectors, care settings and marks of the rows that change them."""
        for column, other in RELATION_COLUMNS.items():
            changed = [p for p in plans if column in p.relations]
            if not changed:
                continue
            through = Organisation._meta.get_field(column).remote_field.through
            through.objects.filter(
                organisation_id__in=[p.instance.pk for p in changed if not p.is_new]
            ).delete()
            insert_pairs(
                through,
                ("organisation_id", other),
                [(p.instance.pk, pk) for p in changed for pk in p.relations[column]],
            )

    def write_memberships(self, plans, now):
        """Make the initiatives of the rows that change them what the row says, with history."""
        changed = [p for p in plans if "initiatives" in p.relations]
        if not changed:
            return
        current = {}
        for membership in Membership.objects.filter(
            organisation_id__in=[p.instance.pk for p in changed if not p.is_new]
        ):
            current.setdefault(membership.organisation_id, {})[membership.initiative_id] = membership
        additions = []
        for plan in changed:
            have, wanted = current.get(plan.instance.pk, {}), plan.relations["initiatives"]
            for initiative_id, membership in have.items():
                if initiative_id not in wanted:
                    # One by one so that history records each removal; rare in practice.
                    membership._history_user = self.user
                    membership._change_reason = HISTORY_REASON
                    membership.delete()
            additions += [
                Membership(organisation_id=plan.instance.pk, initiative_id=initiative_id)
                for initiative_id in wanted - set(have)
            ]
        if additions:
            created = Membership.objects.bulk_create(additions)
            self.record_history(Membership, [m.pk for m in created], "+", now)

    def record_history(self, model, pks, history_type, now):
        copy_to_history(
            model, pks, history_type=history_type, user=self.user, reason=HISTORY_REASON, when=now
        )
