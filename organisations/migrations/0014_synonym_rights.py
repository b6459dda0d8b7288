# Editors add and change the thesaurus's groups; Publishers also delete them.
from django.db import migrations

EDITOR_PERMISSIONS = [("organisations", "synonym", ["add", "change", "view"])]
PUBLISHER_PERMISSIONS = [("organisations", "synonym", ["delete"])]


def grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after all migrations; the groups need them now.
    app_config = apps.get_app_config("organisations")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, spec in [
        ("Editors", EDITOR_PERMISSIONS),
        ("Publishers", EDITOR_PERMISSIONS + PUBLISHER_PERMISSIONS),
    ]:
        group, _ = Group.objects.get_or_create(name=name)
        for app_label, model, actions in spec:
            group.permissions.add(
                *Permission.objects.filter(
                    content_type__app_label=app_label, codename__in=[f"{a}_{model}" for a in actions]
                )
            )


class Migration(migrations.Migration):
    dependencies = [("organisations", "0013_search_synonyms_and_places")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
