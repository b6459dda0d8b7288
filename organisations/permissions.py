"""Who may do what in the back office (ARCHITECTURE.md §4 "Publishing").

Editors create and edit entries but never change `status` or delete; Publishers publish, archive,
merge and delete. Admin views, actions and the CSV import all ask these helpers, so the rule lives
in one place: the `publish_<model>` permissions that the Publishers group holds.
"""

from importlib import import_module

from django.contrib.auth.models import Group, Permission

EDITORS = "Editors"
PUBLISHERS = "Publishers"
# The migrations that grant the groups their rights, each with EDITOR_ and PUBLISHER_PERMISSIONS.
GRANTING_MIGRATIONS = [
    "0003_curation",
    "0009_register_candidates",
    "0010_contact_status_and_rate_limit_counter",
    "0014_synonym_rights",
]


def publish_permission(model=None):
    """'organisations.publish_organisation' or, for initiatives, 'initiatives.publish_initiative'."""
    if model is None:
        return "organisations.publish_organisation"
    return f"{model._meta.app_label}.publish_{model._meta.model_name}"


def can_publish(user, model=None):
    """May `user` change the status of (publish, archive, merge) entries of `model` (organisations
    by default)?"""
    return bool(user and user.is_active and user.has_perm(publish_permission(model)))


def can_erase_contacts(user):
    """Erasing a person on request is irreversible, so it is a publisher's decision."""
    return can_publish(user) and user.has_perm("organisations.delete_contact")


def ensure_groups():
    """Create the Editors and Publishers groups with their rights, as GRANTING_MIGRATIONS do.

    For databases that lost the migration's rows (a flushed test database); the rights themselves
    are defined once, in the migration.
    """
    specs = {EDITORS: [], PUBLISHERS: []}
    for name in GRANTING_MIGRATIONS:
        migration = import_module(f"organisations.migrations.{name}")
        specs[EDITORS] += migration.EDITOR_PERMISSIONS
        specs[PUBLISHERS] += migration.EDITOR_PERMISSIONS + migration.PUBLISHER_PERMISSIONS
    for name, spec in specs.items():
        group, _ = Group.objects.get_or_create(name=name)
        for app_label, model, actions in spec:
            group.permissions.add(
                *Permission.objects.filter(
                    content_type__app_label=app_label, codename__in=[f"{a}_{model}" for a in actions]
                )
            )
