"""CSV import (upload → preview of what would change → confirm) and export for the organisation admin.

OrganisationAdmin mixes in OrganisationImportExportMixin. Both steps of an import run the one service
in organisations/csv: the preview is a dry run, the confirmation imports the same stored file for real.
"""

import datetime
import uuid
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse

from .csv import CSV_COLUMNS, import_csv, stream_csv

SESSION_KEY = "organisation_csv_imports"
MAX_UPLOAD_BYTES = 100 * 1024 * 1024
PREVIEW_ROWS = 1000


def upload_dir():
    directory = Path(settings.CSV_IMPORT_DIR)
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    return directory


class CsvUploadForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text="UTF-8 (with or without a byte order mark). Columns: " + ", ".join(CSV_COLUMNS) + ".",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                "This file is larger than 100 MB; use manage.py import_organisations."
            )
        return upload


def _export_response(queryset):
    filename = f"organisations-{datetime.date.today().isoformat()}.csv"
    response = StreamingHttpResponse(stream_csv(queryset), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class OrganisationImportExportMixin:
    change_list_template = "admin/organisations/organisation/import_export_change_list.html"
    import_template = "admin/organisations/organisation/import.html"
    import_preview_template = "admin/organisations/organisation/import_preview.html"

    def get_urls(self):
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path("import/", self.admin_site.admin_view(self.import_view), name=f"{prefix}_import"),
            path("export.csv", self.admin_site.admin_view(self.export_view), name=f"{prefix}_export"),
            *super().get_urls(),
        ]

    def get_actions(self, request):
        actions = super().get_actions(request)
        if self.has_view_or_change_permission(request):
            action = OrganisationImportExportMixin.export_selected_as_csv
            actions["export_selected_as_csv"] = (action, "export_selected_as_csv", action.short_description)
        return actions

    @admin.action(description="Export the selected organisations as CSV")
    def export_selected_as_csv(self, request, queryset):
        return _export_response(queryset)

    def has_import_permission(self, request):
        return self.has_add_permission(request) and self.has_change_permission(request)

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_import_csv": self.has_import_permission(request),
            "export_query": request.GET.urlencode(),
        }
        return super().changelist_view(request, extra_context=extra_context)

    def export_view(self, request):
        """The changelist as filtered, searched and ordered on screen, as CSV."""
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        changelist = self.get_changelist_instance(request)
        return _export_response(changelist.get_queryset(request))

    def import_view(self, request):
        if not self.has_import_permission(request):
            raise PermissionDenied
        if request.method == "POST" and request.POST.get("token"):
            return self._confirm_import(request, request.POST["token"])
        form = CsvUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            token = uuid.uuid4().hex
            stored = upload_dir() / f"{token}.csv"
            with open(stored, "wb") as out:
                for chunk in form.cleaned_data["file"].chunks():
                    out.write(chunk)
            request.session[SESSION_KEY] = [*request.session.get(SESSION_KEY, [])[-4:], token]
            result = import_csv(file=stored, user=request.user, dry_run=True)
            if result.errors:
                stored.unlink(missing_ok=True)
                token = None
            return self._render_preview(request, result, token, form.cleaned_data["file"].name)
        return TemplateResponse(
            request,
            self.import_template,
            {**self._context(request, "Import organisations from CSV"), "form": form, "columns": CSV_COLUMNS},
        )

    def _confirm_import(self, request, token):
        if token not in request.session.get(SESSION_KEY, []) or not token.isalnum():
            messages.error(request, "That import has expired. Upload the file again.")
            return HttpResponseRedirect(reverse("admin:organisations_organisation_import"))
        stored = upload_dir() / f"{token}.csv"
        if not stored.exists():
            messages.error(request, "That import has expired. Upload the file again.")
            return HttpResponseRedirect(reverse("admin:organisations_organisation_import"))
        result = import_csv(file=stored, user=request.user, keep_rows=False)
        if result.errors:
            stored.unlink(missing_ok=True)
            return self._render_preview(request, result, None, request.POST.get("filename", ""))
        stored.unlink(missing_ok=True)
        request.session[SESSION_KEY] = [t for t in request.session.get(SESSION_KEY, []) if t != token]
        messages.success(
            request,
            f"Imported: {result.created} created, {result.updated} updated, {result.unchanged} unchanged.",
        )
        return HttpResponseRedirect(reverse("admin:organisations_organisation_changelist"))

    def _render_preview(self, request, result, token, filename):
        changed_rows = [row for row in result.rows if row.action != "unchanged"]
        context = {
            **self._context(request, "Check the import"),
            "result": result,
            # A 100,000-row file would make a page of megabytes: the counts cover the rest.
            "changed_rows": changed_rows[:PREVIEW_ROWS],
            "more_rows": max(len(changed_rows) - PREVIEW_ROWS, 0),
            "token": token,
            "filename": filename,
            "nothing_to_do": not result.errors and not changed_rows,
        }
        return TemplateResponse(request, self.import_preview_template, context)

    def _context(self, request, title):
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": title,
            "has_view_permission": self.has_view_permission(request),
        }
