from django import forms

from core.images import ImageFormMixin

from .models import Initiative


class InitiativeAdminForm(ImageFormMixin, forms.ModelForm):
    # The logo goes through the same checks, re-encoding and generated names as every uploaded image.
    image_spec = Initiative.image_spec

    class Meta:
        model = Initiative
        fields = "__all__"  # noqa: DJ007 — the admin passes its own field list
