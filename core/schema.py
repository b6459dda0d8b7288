from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.renderers import JSONRenderer

from .api import ParameterError


class JsonErrorsMixin:
    """Errors of a view whose answers are not JSON (the schema's YAML, the docs' HTML) in JSON, like
    every other error under /api/."""

    def finalize_response(self, request, response, *args, **kwargs):
        if response.status_code >= 400:
            request.accepted_renderer, request.accepted_media_type = JSONRenderer(), "application/json"
        return super().finalize_response(request, response, *args, **kwargs)


class SchemaView(JsonErrorsMixin, SpectacularAPIView):
    """The OpenAPI schema. The API has one version, so `version` is refused with a 400: drf-spectacular
    would otherwise write it into the file name of Content-Disposition (a quote adds a second
    `filename`, a line break fails the header)."""

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        if "version" in request.query_params:
            raise ParameterError("version", "the API has one version; leave this parameter out.")
        return super().get(request, *args, **kwargs)


class DocsView(JsonErrorsMixin, SpectacularSwaggerSplitView):
    pass
