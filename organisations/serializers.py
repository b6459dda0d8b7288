"""Public fields only: status, internal notes, private contacts and submissions never leave here.

Related organisations and initiatives are shown only when they are published themselves; the views
prefetch them already filtered (to_attr lists), so serialising a page costs a fixed number of queries.
"""

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api import NULLABLE_URL, AbsoluteUrlMixin

from .models import CareSetting, Organisation, RegulatoryMark, Sector


class ReferenceSummarySerializer(serializers.Serializer):
    slug = serializers.SlugField(read_only=True)
    name = serializers.CharField(read_only=True)


class OrganisationLinkSerializer(AbsoluteUrlMixin, serializers.Serializer):
    slug = serializers.SlugField(read_only=True)
    name = serializers.CharField(read_only=True)
    url = serializers.SerializerMethodField(help_text="This organisation in the API.")

    def get_url(self, organisation) -> str:
        return self.absolute(reverse("api:organisation-detail", args=[organisation.slug]))


class InitiativeLinkSerializer(AbsoluteUrlMixin, serializers.Serializer):
    slug = serializers.SlugField(read_only=True)
    name = serializers.CharField(read_only=True)
    url = serializers.SerializerMethodField(help_text="This initiative in the API.")

    def get_url(self, initiative) -> str:
        return self.absolute(reverse("api:initiative-detail", args=[initiative.slug]))


class OrganisationMembershipSerializer(serializers.Serializer):
    initiative = InitiativeLinkSerializer(read_only=True)
    role = serializers.CharField(read_only=True)
    since = serializers.DateField(read_only=True, allow_null=True)


class PublicContactSerializer(serializers.Serializer):
    name = serializers.CharField(read_only=True)
    job_title = serializers.CharField(read_only=True)
    email = serializers.CharField(read_only=True)
    phone = serializers.CharField(read_only=True)


class OrganisationSerializer(AbsoluteUrlMixin, serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:organisation-detail", lookup_field="slug")
    html_url = serializers.SerializerMethodField(help_text="The organisation's page on the directory.")
    alternative_names = serializers.SerializerMethodField()
    parent = serializers.SerializerMethodField()
    successor = serializers.SerializerMethodField(
        help_text="For a merged organisation, the published organisation it merged into."
    )
    # Plain strings: these may be blank, which no "email"/"uri" format admits.
    website = serializers.CharField(read_only=True)
    email = serializers.CharField(read_only=True, help_text="The organisation's general address.")
    source_url = serializers.CharField(read_only=True)
    logo = serializers.SerializerMethodField()
    # Blank when unknown; declared so that the schema admits "" beside the choices.
    local_authority = serializers.ChoiceField(
        choices=Organisation.LocalAuthority.choices, allow_blank=True, read_only=True
    )
    employees_band = serializers.ChoiceField(
        choices=Organisation.EmployeesBand.choices, allow_blank=True, read_only=True
    )
    sectors = ReferenceSummarySerializer(many=True, read_only=True)
    care_settings = ReferenceSummarySerializer(many=True, read_only=True)
    regulatory_marks = ReferenceSummarySerializer(many=True, read_only=True)
    initiatives = OrganisationMembershipSerializer(
        many=True, read_only=True, source="public_memberships", help_text="Published initiatives only."
    )

    class Meta:
        model = Organisation
        fields = [
            "url",
            "html_url",
            "slug",
            "name",
            "legal_name",
            "alternative_names",
            "organisation_type",
            "lifecycle",
            "successor",
            "successor_text",
            "ended_year",
            "parent",
            "summary",
            "description",
            "website",
            "email",
            "phone",
            "logo",
            "address_line",
            "town",
            "local_authority",
            "postcode",
            "postcode_district",
            "headquartered_in_leeds",
            "companies_house_number",
            "ods_code",
            "founded_year",
            "employees_band",
            "sectors",
            "care_settings",
            "regulatory_marks",
            "initiatives",
            "source_url",
            "last_verified_on",
            "published_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_html_url(self, organisation) -> str:
        return self.absolute(organisation.get_absolute_url())

    def get_alternative_names(self, organisation) -> list[str]:
        return organisation.alternative_names_list

    @extend_schema_field(OrganisationLinkSerializer(allow_null=True))
    def get_parent(self, organisation):
        parent = organisation.parent
        if parent is None or not parent.is_public:
            return None
        return OrganisationLinkSerializer(parent, context=self.context).data

    @extend_schema_field(OrganisationLinkSerializer(allow_null=True))
    def get_successor(self, organisation):
        successor = organisation.merged_into
        if successor is None or not successor.is_public or not organisation.is_former:
            return None
        return OrganisationLinkSerializer(successor, context=self.context).data

    @extend_schema_field(NULLABLE_URL)
    def get_logo(self, organisation):
        image = organisation.logo_thumbnail_large or organisation.logo
        return self.absolute(image.url) if image else None


class OrganisationDetailSerializer(OrganisationSerializer):
    contacts = PublicContactSerializer(
        many=True,
        read_only=True,
        source="public_contact_list",
        help_text="Only people who agreed to be listed.",
    )

    class Meta(OrganisationSerializer.Meta):
        fields = OrganisationSerializer.Meta.fields + ["contacts"]
        read_only_fields = fields


class ReferenceSerializer(AbsoluteUrlMixin, serializers.ModelSerializer):
    organisation_count = serializers.IntegerField(
        read_only=True, help_text="Published current (not merged or closed) organisations with this value."
    )
    organisations_url = serializers.SerializerMethodField(help_text="Those organisations in the API.")

    filter_parameter = None

    class Meta:
        fields = ["slug", "name", "description", "is_active", "organisation_count", "organisations_url"]
        read_only_fields = fields

    def get_organisations_url(self, obj) -> str:
        return self.absolute(f"{reverse('api:organisation-list')}?{self.filter_parameter}={obj.slug}")


class SectorSerializer(ReferenceSerializer):
    filter_parameter = "sector"
    html_url = serializers.SerializerMethodField(help_text="The sector's page on the directory.")

    class Meta(ReferenceSerializer.Meta):
        model = Sector
        fields = ReferenceSerializer.Meta.fields + ["html_url"]
        read_only_fields = fields

    def get_html_url(self, sector) -> str:
        return self.absolute(sector.get_absolute_url())


class CareSettingSerializer(ReferenceSerializer):
    filter_parameter = "care_setting"

    class Meta(ReferenceSerializer.Meta):
        model = CareSetting


class RegulatoryMarkSerializer(ReferenceSerializer):
    filter_parameter = "regulatory"

    class Meta(ReferenceSerializer.Meta):
        model = RegulatoryMark
