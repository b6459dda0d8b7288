import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Create an 'admin' superuser with a random password, printed once, when no superuser exists."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")
        parser.add_argument("--url", default="http://127.0.0.1:8000/admin/")

    def handle(self, *args, username, url, **options):
        User = get_user_model()
        if User.objects.filter(is_superuser=True).exists():
            self.stdout.write(
                f"Back office: {url} (sign in with your existing superuser; "
                "`manage.py changepassword admin` sets a new password)."
            )
            return
        password = secrets.token_urlsafe(12)
        User.objects.create_superuser(username=username, email="", password=password)
        banner = "=" * 64
        self.stdout.write(
            f"{banner}\nBack office: {url}\n  username: {username}\n  password: {password}\n"
            f"This password is shown only once: note it now.\n{banner}"
        )
