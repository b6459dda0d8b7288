"""Public fields only; members and hosts are published organisations (prefetched, filtered)."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api import NULLABLE_URL, AbsoluteUrlMixin
from core.publishing import Status
from organisations.serializers import InitiativeLinkSerializer, OrganisationLinkSerializer

from .models import Initiative, KeyFigure


class InitiativeMemberSerializer(serializers.Serializer):
    organisation = OrganisationLinkSerializer(read_only=True)
    role = serializers.CharField(read_only=True)
    since = serializers.DateField(read_only=True, allow_null=True)


class InitiativeSerializer(AbsoluteUrlMixin, serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:initiative-detail", lookup_field="slug")
    html_url = serializers.SerializerMethodField(help_text="The initiative's page on the directory.")
    website = serializers.CharField(read_only=True)
    source_url = serializers.CharField(read_only=True)
    logo = serializers.SerializerMethodField()
    operator = serializers.SerializerMethodField(
        help_text="The published organisation that runs it, if known."
    )
    hosts = OrganisationLinkSerializer(
        many=True, read_only=True, source="public_hosts", help_text="Published organisations only."
    )
    members = InitiativeMemberSerializer(
        many=True, read_only=True, source="public_memberships", help_text="Published organisations only."
    )

    class Meta:
        model = Initiative
        fields = [
            "url",
            "html_url",
            "slug",
            "name",
            "kind",
            "summary",
            "description",
            "website",
            "logo",
            "location",
            "operator",
            "hosts",
            "partners_text",
            "members",
            "source_url",
            "updated_at",
        ]
        read_only_fields = fields

    def get_html_url(self, initiative) -> str:
        return self.absolute(initiative.get_absolute_url())

    @extend_schema_field(OrganisationLinkSerializer(allow_null=True))
    def get_operator(self, initiative):
        operator = initiative.operator
        if operator is None or operator.status != Status.PUBLISHED:
            return None
        return OrganisationLinkSerializer(operator, context=self.context).data

    @extend_schema_field(NULLABLE_URL)
    def get_logo(self, initiative):
        return self.absolute(initiative.logo.url) if initiative.logo else None


class KeyFigureSerializer(serializers.ModelSerializer):
    source_url = serializers.CharField(read_only=True)
    initiative = serializers.SerializerMethodField(help_text="The initiative the figure is about, if any.")

    class Meta:
        model = KeyFigure
        fields = ["slug", "label", "value", "source_name", "source_url", "as_of", "as_of_label", "initiative"]
        read_only_fields = fields

    @extend_schema_field(InitiativeLinkSerializer(allow_null=True))
    def get_initiative(self, figure):
        initiative = figure.initiative
        if initiative is None or initiative.status != Status.PUBLISHED:
            return None
        return InitiativeLinkSerializer(initiative, context=self.context).data
