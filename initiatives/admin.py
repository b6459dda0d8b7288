from django.contrib import admin
from django.db.models import Count
from simple_history.admin import SimpleHistoryAdmin

from core.images import ImageFilesAdminMixin
from organisations.admin import ContactInline, PublishingAdminMixin, PublishingInlineMixin

from .forms import InitiativeAdminForm
from .models import Initiative, KeyFigure, Membership


class MembershipInline(admin.TabularInline):
    model = Membership
    fields = ["organisation", "role", "since", "source_url"]
    autocomplete_fields = ["organisation"]
    extra = 0
    verbose_name = "member"
    verbose_name_plural = "members"


class KeyFigureInline(PublishingInlineMixin, admin.TabularInline):
    model = KeyFigure
    fields = ["value", "label", "source_name", "source_url", "as_of_label", "slug", "order", "status"]
    prepopulated_fields = {"slug": ["label"]}
    extra = 0


@admin.register(Initiative)
class InitiativeAdmin(PublishingAdminMixin, ImageFilesAdminMixin, SimpleHistoryAdmin):
    form = InitiativeAdminForm
    list_display = ["name", "kind", "status", "member_count", "updated_at"]
    list_filter = ["status", "kind"]
    search_fields = ["name", "slug", "summary", "partners_text"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["operator", "hosts"]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [MembershipInline, ContactInline, KeyFigureInline]
    actions = ["publish", "archive"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_member_count=Count("memberships"))

    @admin.display(description="Members", ordering="_member_count")
    def member_count(self, obj):
        return obj._member_count


@admin.register(Membership)
class MembershipAdmin(SimpleHistoryAdmin):
    list_display = ["organisation", "initiative", "role", "since"]
    list_filter = ["role", "initiative"]
    search_fields = ["organisation__name", "initiative__name"]
    list_select_related = ["organisation", "initiative"]
    autocomplete_fields = ["organisation", "initiative"]


@admin.register(KeyFigure)
class KeyFigureAdmin(PublishingAdminMixin, admin.ModelAdmin):
    list_display = ["value", "label", "source_name", "as_of_label", "initiative", "status", "order"]
    list_filter = ["status", "initiative"]
    actions = ["publish", "archive"]
    search_fields = ["label", "value", "source_name"]
    list_select_related = ["initiative"]
    autocomplete_fields = ["initiative"]
    prepopulated_fields = {"slug": ["label"]}
    date_hierarchy = "as_of"
