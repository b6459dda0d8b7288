# Back-office curation: the Editors and Publishers groups (ARCHITECTURE.md §4 "Publishing").
from django.db import migrations

# (app label, model, actions) — Editors create and edit but never delete or change status.
EDITOR_PERMISSIONS = [
    ("organisations", "organisation", ["add", "change", "view"]),
    ("organisations", "contact", ["add", "change", "view"]),
    ("organisations", "submission", ["change", "view"]),
    ("organisations", "organisationslugredirect", ["view"]),
    ("organisations", "sector", ["view"]),
    ("organisations", "caresetting", ["view"]),
    ("organisations", "regulatorymark", ["view"]),
    ("initiatives", "initiative", ["add", "change", "view"]),
    ("initiatives", "membership", ["add", "change", "view"]),
    ("initiatives", "keyfigure", ["add", "change", "view"]),
]
# Publishers also publish, archive, merge and delete, and curate the reference lists.
PUBLISHER_PERMISSIONS = [
    ("organisations", "organisation", ["delete", "publish"]),
    ("organisations", "contact", ["delete"]),
    ("organisations", "submission", ["delete"]),
    ("organisations", "sector", ["add", "change", "delete"]),
    ("organisations", "caresetting", ["add", "change", "delete"]),
    ("organisations", "regulatorymark", ["add", "change", "delete"]),
    ("initiatives", "initiative", ["delete", "publish"]),
    ("initiatives", "membership", ["delete"]),
    ("initiatives", "keyfigure", ["delete"]),
]


def _permissions(apps, spec):
    Permission = apps.get_model("auth", "Permission")
    found = []
    for app_label, model, actions in spec:
        for action in actions:
            found.append(
                Permission.objects.get(content_type__app_label=app_label, codename=f"{action}_{model}")
            )
    return found


def create_groups(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after all migrations; the groups need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    editors, _ = Group.objects.get_or_create(name="Editors")
    editors.permissions.add(*_permissions(apps, EDITOR_PERMISSIONS))
    publishers, _ = Group.objects.get_or_create(name="Publishers")
    publishers.permissions.add(*_permissions(apps, EDITOR_PERMISSIONS + PUBLISHER_PERMISSIONS))


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=["Editors", "Publishers"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("organisations", "0002_search"),
        ("initiatives", "0002_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
