"""Put images stored before the one image pipeline through it, and delete files no entry uses.

Images uploaded before every image went through core/images.py (initiative logos kept their EXIF, GPS
position included, their trailing bytes and the uploader's file name) are re-encoded under generated
names, with their thumbnails, and the old files deleted; an image the pipeline refuses is reported and
left as it is. Images already under a generated name are left alone (re-encoding a JPEG again would
only lose quality). With --delete-orphans, files in the images' folders that no entry uses (left by
replacements and deletions before files were removed with them), and older than an hour, are deleted.

    manage.py reprocess_images --dry-run
    manage.py reprocess_images --delete-orphans
"""

import re
from pathlib import PurePosixPath

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from core import images

GENERATED = re.compile(r"[0-9a-f]{32}")
ORPHAN_AFTER = timezone.timedelta(hours=1)


class Command(BaseCommand):
    help = "Re-encode images stored before the image pipeline; optionally delete files no entry uses."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Report, change nothing.")
        parser.add_argument("--delete-orphans", action="store_true", help="Delete files no entry uses.")

    def handle(self, *args, dry_run, delete_orphans, **options):
        for model, spec in images.registered():
            label = model._meta.verbose_name_plural
            done, refused = self.reprocess(model, spec, dry_run=dry_run)
            self.stdout.write(
                f"{label}: {done} image(s) re-encoded, {refused} refused and left as they were."
            )
            if delete_orphans:
                orphans = self.orphans(model, spec)
                if not dry_run:
                    images.delete_files(model, spec, orphans)
                self.stdout.write(f"{label}: {len(orphans)} file(s) no entry uses deleted.")
        if dry_run:
            self.stdout.write("Dry run: nothing was changed.")

    def reprocess(self, model, spec, *, dry_run):
        done = refused = 0
        for obj in model._base_manager.exclude(**{spec.field: ""}).order_by("pk").iterator(chunk_size=200):
            field = getattr(obj, spec.field)
            if GENERATED.fullmatch(PurePosixPath(field.name).stem) and spec.original_name(field.name):
                continue
            try:
                with field.open("rb") as stored:
                    processed = images.process_image(stored, spec)
            except (ValidationError, OSError) as error:
                refused += 1
                reason = " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
                self.stderr.write(f"{obj} ({field.name}): {reason}")
                continue
            done += 1
            if not dry_run:
                with transaction.atomic():
                    self.replace(obj, spec, processed)
        return done, refused

    @staticmethod
    def replace(obj, spec, processed):
        model = type(obj)
        old = images.current_names(obj, spec)
        for name, stored in images.write_files(model, spec, processed).items():
            setattr(obj, name, stored)
        obj.save()
        images.delete_files_on_commit(model, spec, old)

    @staticmethod
    def orphans(model, spec):
        """Files in the image's folders that no row names, older than an hour (a file written by an
        upload whose entry is being saved right now is not an orphan)."""
        storage = images.storage_of(model, spec)
        used = {name for row in model._base_manager.values_list(*spec.fields) for name in row if name}
        settled = timezone.now() - ORPHAN_AFTER
        found = []
        for folder in (spec.folder, f"{spec.folder}/thumbs"):
            try:
                _dirs, files = storage.listdir(folder)
            except FileNotFoundError:
                continue
            names = (f"{folder}/{name}" for name in files)
            found += [
                name for name in names if name not in used and storage.get_modified_time(name) < settled
            ]
        return sorted(found)
