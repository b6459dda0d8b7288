"""CSV import (upload → preview of what would change → confirm) and export for the organisation admin.

OrganisationAdmin mixes in OrganisationImportExportMixin. Both steps of an import run the one service
in organisations/csv: the preview is a dry run, the confirmation imports the same stored file for real.
"""

import csv
import datetime
import io
import uuid
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse

from . import duplicates
from .csv import CSV_COLUMNS, import_csv, stream_csv

SESSION_KEY = "organisation_csv_imports"
# Imports whose preview found likely duplicates: confirming them needs the "checked" box ticked.
FLAGGED_SESSION_KEY = "organisation_csv_imports_with_duplicates"

# The column reference on the import page: what each column takes (ARCHITECTURE.md §7).
COLUMN_REFERENCE = {
    "name": "Required. The name people use; headings show it.",
    "slug": "The address of the entry (/organisations/<slug>/). Rows are matched by slug; blank: made from the name.",
    "legal_name": "The registered name, only where it differs from the name: shown once as “Registered as …”.",
    "alternative_names": "Acronyms and former names, separated by semicolons: LTHT; HSCIC.",
    "organisation_type": "company, nhs, university, public_body, charity or support_organisation.",
    "status": "draft, published or archived. Editors leave it empty: new rows arrive as drafts.",
    "parent": "The slug or name of the organisation it is part of (in the directory or earlier in the file).",
    "summary": "One line.",
    "description": "Longer text; line breaks are kept.",
    "website": "Starting with http:// or https://.",
    "email": "The organisation's public address.",
    "phone": "The organisation's public number.",
    "address_line": "Street address.",
    "town": "Town or district.",
    "local_authority": "leeds, bradford, calderdale, kirklees, wakefield, harrogate, york, craven, selby or other.",
    "postcode": "A UK postcode, written in any case and spacing: LS1 4AP.",
    "headquartered_in_leeds": "true or false (yes/no, 1/0); empty keeps the current value.",
    "companies_house_number": "8 characters; a 7-digit number is zero-padded; SC and other prefixes allowed.",
    "ods_code": "NHS Organisation Data Service code.",
    "founded_year": "Four digits: 1998.",
    "employees_band": "micro (1–9), small (10–49), medium (50–249) or large (250+).",
    "sectors": "Sector names or slugs, separated by semicolons; a given cell replaces the set.",
    "care_settings": "Care-setting slugs: hospital; primary-care; community; home; social-care; mental-health.",
    "regulatory_marks": "Regulatory-mark slugs, separated by semicolons: ukca-class-i; dtac-assessed.",
    "initiatives": "Initiative names or slugs, separated by semicolons; a given cell replaces the memberships.",
    "source_url": "The public page the entry's facts come from.",
    "last_verified_on": "YYYY-MM-DD. Usually left out: recording a check in the back office sets it.",
}

# A small, synthetic example (example.org addresses): every column, each in its expected form.
SAMPLE_ROWS = [
    {
        "name": "Example Health Analytics",
        "legal_name": "Example Health Analytics Ltd",
        "alternative_names": "EHA",
        "organisation_type": "company",
        "summary": "Synthetic example row: replace it with a real organisation.",
        "website": "https://health-analytics.example.org",
        "town": "Leeds",
        "local_authority": "leeds",
        "postcode": "LS1 4AP",
        "headquartered_in_leeds": "yes",
        "founded_year": "2019",
        "employees_band": "small",
        "sectors": "Health analytics; AI and data",
        "care_settings": "primary-care",
        "source_url": "https://health-analytics.example.org/about",
    },
    {
        "name": "Example Imaging Unit",
        "organisation_type": "university",
        "parent": "Example Health Analytics",
        "summary": "Synthetic example row of a unit that is part of the organisation above.",
        "website": "https://imaging.example.org",
        "town": "Bradford",
        "local_authority": "bradford",
        "headquartered_in_leeds": "no",
        "sectors": "Imaging",
        "care_settings": "hospital",
        "source_url": "https://imaging.example.org",
    },
]
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


def _twin_links(twins):
    """[(label, admin address or "", reason)]: an entry in the directory, or another new row of the file."""
    links = []
    for twin, reason in twins:
        if isinstance(twin, duplicates.Entry):
            links.append((f"{twin.name} (line {-twin.pk} of this file)", "", reason))
        else:
            links.append(
                (twin.name, reverse("admin:organisations_organisation_change", args=[twin.pk]), reason)
            )
    return links


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
            path(
                "import/sample.csv",
                self.admin_site.admin_view(self.sample_csv_view),
                name=f"{prefix}_import_sample",
            ),
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
            {
                **self._context(request, "Import organisations from CSV"),
                "form": form,
                "columns": [(column, COLUMN_REFERENCE[column]) for column in CSV_COLUMNS],
            },
        )

    def sample_csv_view(self, request):
        """A small file in the import's columns, to start from."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        stream = io.StringIO()
        writer = csv.DictWriter(stream, fieldnames=CSV_COLUMNS, restval="")
        writer.writeheader()
        writer.writerows(SAMPLE_ROWS)
        response = HttpResponse("\ufeff" + stream.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="organisations-sample.csv"'
        return response

    def _confirm_import(self, request, token):
        if token not in request.session.get(SESSION_KEY, []) or not token.isalnum():
            messages.error(request, "That import has expired. Upload the file again.")
            return HttpResponseRedirect(reverse("admin:organisations_organisation_import"))
        stored = upload_dir() / f"{token}.csv"
        if not stored.exists():
            messages.error(request, "That import has expired. Upload the file again.")
            return HttpResponseRedirect(reverse("admin:organisations_organisation_import"))
        if (
            token in request.session.get(FLAGGED_SESSION_KEY, [])
            and request.POST.get("duplicates_checked") != "yes"
        ):
            messages.error(
                request,
                "Some new rows look like entries already in the directory: tick “I have checked the "
                "likely duplicates” to import the file anyway, or fix it and upload it again.",
            )
            return HttpResponseRedirect(reverse("admin:organisations_organisation_import"))
        result = import_csv(file=stored, user=request.user, keep_rows=False)
        if result.errors:
            stored.unlink(missing_ok=True)
            return self._render_preview(request, result, None, request.POST.get("filename", ""))
        stored.unlink(missing_ok=True)
        for key in (SESSION_KEY, FLAGGED_SESSION_KEY):
            request.session[key] = [t for t in request.session.get(key, []) if t != token]
        messages.success(
            request,
            f"Imported: {result.created} created, {result.updated} updated, {result.unchanged} unchanged.",
        )
        return HttpResponseRedirect(reverse("admin:organisations_organisation_changelist"))

    def _render_preview(self, request, result, token, filename):
        changed_rows = [row for row in result.rows if row.action != "unchanged"]
        twins = duplicates.twins_of_new_rows(row.entry for row in changed_rows if row.entry)
        if twins and token:
            request.session[FLAGGED_SESSION_KEY] = [*request.session.get(FLAGGED_SESSION_KEY, [])[-4:], token]
        flagged = [row for row in changed_rows if row.entry and row.entry.pk in twins]
        context = {
            **self._context(request, "Check the import"),
            "result": result,
            # A 100,000-row file would make a page of megabytes: the counts cover the rest.
            "changed_rows": [
                {"row": row, "twins": _twin_links(twins.get(row.entry.pk, [])) if row.entry else []}
                for row in changed_rows[:PREVIEW_ROWS]
            ],
            "more_rows": max(len(changed_rows) - PREVIEW_ROWS, 0),
            "flagged_count": len(flagged),
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
