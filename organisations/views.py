from django.shortcuts import get_object_or_404
from django.views.generic import DetailView

from .models import Organisation, Sector


class OrganisationDetailView(DetailView):
    template_name = "organisations/organisation_detail.html"
    context_object_name = "organisation"

    def get_queryset(self):
        return Organisation.objects.published().with_public_relations()


class SectorDetailView(DetailView):
    template_name = "organisations/sector_detail.html"
    context_object_name = "sector"

    def get_object(self, queryset=None):
        return get_object_or_404(Sector, slug=self.kwargs["slug"])
