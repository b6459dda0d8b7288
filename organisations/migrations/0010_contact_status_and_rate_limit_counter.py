# Contacts and key figures join the draft -> publish flow; rate limits can count in the database;
# the media view finds an image's organisation by an index.
from django.db import migrations, models

# (app label, model, actions) added to the groups of migration 0003: an Editor's contact made public,
# or key figure added, waits for a Publisher.
EDITOR_PERMISSIONS = []
PUBLISHER_PERMISSIONS = [
    ("organisations", "contact", ["publish"]),
    ("initiatives", "keyfigure", ["publish"]),
]


def grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Permission = apps.get_model("auth", "Permission")
    publishers = apps.get_model("auth", "Group").objects.filter(name="Publishers").first()
    if publishers is None:
        return
    for app_label, model, actions in PUBLISHER_PERMISSIONS:
        publishers.permissions.add(
            *Permission.objects.filter(
                content_type__app_label=app_label, codename__in=[f"{a}_{model}" for a in actions]
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("initiatives", "0003_key_figure_status_and_logo_index"),
        ("organisations", "0009_register_candidates"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.CreateModel(
            name="RateLimitCounter",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("group", models.CharField(max_length=40)),
                ("client", models.CharField(max_length=64)),
                ("window_start", models.DateTimeField()),
                ("count", models.PositiveIntegerField(default=0)),
            ],
        ),
        migrations.AlterModelOptions(
            name="contact",
            options={"ordering": ["name"], "permissions": [("publish_contact", "Can publish contacts")]},
        ),
        migrations.AddField(
            model_name="contact",
            name="status",
            field=models.CharField(
                choices=[("draft", "Draft"), ("published", "Published"), ("archived", "Archived")],
                default="published",
                help_text="A contact is shown only once published (by a Publisher) and public with consent.",
                max_length=20,
            ),
        ),
        migrations.AddField(
            model_name="historicalcontact",
            name="status",
            field=models.CharField(
                choices=[("draft", "Draft"), ("published", "Published"), ("archived", "Archived")],
                default="published",
                help_text="A contact is shown only once published (by a Publisher) and public with consent.",
                max_length=20,
            ),
        ),
        migrations.AddConstraint(
            model_name="contact",
            constraint=models.CheckConstraint(
                condition=models.Q(("status__in", ["draft", "published", "archived"])),
                name="contact_status_valid",
            ),
        ),
        migrations.AddIndex(
            model_name="ratelimitcounter",
            index=models.Index(fields=["window_start"], name="ratelimitcounter_window_idx"),
        ),
        migrations.AddConstraint(
            model_name="ratelimitcounter",
            constraint=models.UniqueConstraint(
                fields=("group", "client", "window_start"), name="ratelimitcounter_unique_window"
            ),
        ),
        migrations.AddIndex(
            model_name="organisation",
            index=models.Index(
                condition=models.Q(("logo", ""), _negated=True), fields=["logo"], name="org_logo_idx"
            ),
        ),
        migrations.RunPython(grant, migrations.RunPython.noop),
    ]
