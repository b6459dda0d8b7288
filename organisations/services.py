"""Writes that touch several models at once, each in one transaction with complete history."""

import re

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from .models import Contact, Organisation, OrganisationSlugRedirect, Status, Submission, Verification

# Filled on the surviving entry from the merged one when the survivor has no value.
MERGE_FILL_FIELDS = [
    "parent",
    "summary",
    "description",
    "website",
    "email",
    "phone",
    "address_line",
    "town",
    "local_authority",
    "postcode",
    "companies_house_number",
    "ods_code",
    "founded_year",
    "employees_band",
    "source_url",
]

ERASED = "[erased]"


def _save(instance, user, reason):
    instance._history_user = user
    instance._change_reason = reason
    instance.save()


def _empty(value):
    return value is None or value == ""


@transaction.atomic
def organisation_merge(*, source, target, user):
    """Fold `source` into `target`: its memberships, contacts, children, submissions, sectors and
    empty-field values move over; `source` is archived with `merged_into = target`, and its slug
    keeps answering with a redirect to `target`."""
    if source.pk == target.pk:
        raise ValidationError("An organisation cannot be merged into itself.")
    # Lock both rows so that two curators cannot merge crosswise at the same moment.
    locked = Organisation.objects.select_for_update().in_bulk([source.pk, target.pk])
    source, target = locked[source.pk], locked[target.pk]
    if source.merged_into_id:
        raise ValidationError(f"“{source}” has already been merged into another organisation.")
    if target.merged_into_id:
        raise ValidationError(f"“{target}” has been merged into another organisation; merge into that one.")

    reason = f"Merged “{source.name}” into “{target.name}”"

    target_initiatives = set(target.memberships.values_list("initiative_id", flat=True))
    for membership in source.memberships.all():
        membership._history_user = user
        membership._change_reason = reason
        if membership.initiative_id in target_initiatives:
            # The survivor is already a member: one membership per pair (a database constraint).
            membership.delete()
        else:
            membership.organisation = target
            membership.save()

    for contact in source.contacts.all():
        contact.organisation = target
        _save(contact, user, reason)

    for child in source.children.exclude(pk=target.pk):
        child.parent = target
        _save(child, user, reason)
    for earlier in source.merged_from.all():
        earlier.merged_into = target
        _save(earlier, user, reason)

    # Submissions and redirects carry no history of their own.
    Submission.objects.filter(organisation=source).update(organisation=target)
    OrganisationSlugRedirect.objects.filter(organisation=source).update(organisation=target)
    for initiative in source.hosted_initiatives.all():
        initiative.hosts.add(target)
        initiative.hosts.remove(source)
    for relation in ("sectors", "care_settings", "regulatory_marks"):
        getattr(target, relation).add(*getattr(source, relation).all())

    moved_identifiers = {}
    for field in MERGE_FILL_FIELDS:
        attname = Organisation._meta.get_field(field).attname
        value = getattr(source, attname)
        if _empty(getattr(target, attname)) and not _empty(value):
            if field == "parent" and value == target.pk:
                continue
            setattr(target, attname, value)
            if field in {"companies_house_number"}:
                moved_identifiers[field] = ""
    if target.parent_id == source.pk:
        target.parent = source.parent if source.parent_id != target.pk else None
    target.headquartered_in_leeds = target.headquartered_in_leeds or source.headquartered_in_leeds
    if source.last_verified_on and (
        not target.last_verified_on or source.last_verified_on > target.last_verified_on
    ):
        target.last_verified_on = source.last_verified_on
    names = target.alternative_names_list
    known = {n.lower() for n in [target.name, *names]}
    for name in [source.name, *source.alternative_names_list]:
        if name.lower() not in known:
            names.append(name)
            known.add(name.lower())
    alternative_names = "; ".join(names)
    if len(alternative_names) <= Organisation._meta.get_field("alternative_names").max_length:
        target.alternative_names = alternative_names

    # A Companies House number is unique: the source gives it up before the target takes it.
    for field, value in moved_identifiers.items():
        setattr(source, field, value)
    source.merged_into = target
    source.status = Status.ARCHIVED
    source.parent = None if source.parent_id == target.pk else source.parent
    _save(source, user, reason)
    _save(target, user, reason)
    target.refresh_search_names()

    # The old address keeps working: the public profile of `source` answers 301 to `target`.
    OrganisationSlugRedirect.objects.update_or_create(old_slug=source.slug, defaults={"organisation": target})
    return target


@transaction.atomic
def verification_record(*, organisation, user, method, note="", checked_on=None):
    """Record that `user` checked `organisation` (how, when, with an optional note) and bring its
    `last_verified_on` up to the latest check, through a saved, history-recorded change."""
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    check = Verification(
        organisation=organisation,
        checked_by=user,
        method=method,
        note=note,
        checked_on=checked_on or timezone.localdate(),
    )
    check.full_clean()
    check.save()
    latest = organisation.verifications.aggregate(latest=Max("checked_on"))["latest"]
    if organisation.last_verified_on is None or latest > organisation.last_verified_on:
        organisation.last_verified_on = latest
        _save(organisation, user, f"{check.get_method_display()} on {check.checked_on:%d %B %Y}")
    return check


def _phone_pattern(phone):
    digits = re.sub(r"\D", "", phone or "")
    if len(digits) < 6:
        return None
    # However the number was written: "0113 123 4567", "(0113) 1234567", "+44 113…".
    return r"[\s\-().]*".join(re.escape(d) for d in digits)


def _scrub(value, patterns):
    if isinstance(value, str):
        for pattern in patterns:
            value = pattern.sub(ERASED, value)
        return value
    if isinstance(value, list):
        return [_scrub(item, patterns) for item in value]
    if isinstance(value, dict):
        return {key: _scrub(item, patterns) for key, item in value.items()}
    return value


@transaction.atomic
def contact_erase(*, contact, user):
    """Erase a person on request: the contact, every history row of it, the admin log entries that
    name it, and their name, email and phone wherever a submission mentions them."""
    history = Contact.history.filter(id=contact.pk)
    names, emails, phones = {contact.name}, {contact.email}, {contact.phone}
    for name, email, phone in history.values_list("name", "email", "phone"):
        names.add(name)
        emails.add(email)
        phones.add(phone)
    patterns = [
        re.compile(re.escape(value), re.IGNORECASE) for value in names | emails if value and len(value) >= 3
    ]
    patterns += [re.compile(p) for p in map(_phone_pattern, phones) if p]
    lowered = {value.lower() for value in names | emails if value}

    pk = contact.pk
    contact._history_user = user
    contact.delete()
    # Deleting wrote one more history row with the person's details: remove them all.
    Contact.history.filter(id=pk).delete()
    LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Contact), object_id=str(pk)
    ).delete()

    scrubbed = 0
    for submission in Submission.objects.select_for_update().iterator():
        before = (submission.proposed, submission.message, submission.rejection_reason)
        submission.proposed = _scrub(submission.proposed, patterns)
        submission.message = _scrub(submission.message, patterns)
        submission.rejection_reason = _scrub(submission.rejection_reason, patterns)
        changed = before != (submission.proposed, submission.message, submission.rejection_reason)
        if submission.submitter_name.lower() in lowered or submission.submitter_email.lower() in lowered:
            submission.submitter_name = ""
            submission.submitter_email = ""
            changed = True
        if changed:
            submission.save(
                update_fields=["proposed", "message", "rejection_reason", "submitter_name", "submitter_email"]
            )
            scrubbed += 1
    return scrubbed
