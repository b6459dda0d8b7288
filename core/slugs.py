from django.utils.text import slugify


def unique_slug(model, name, *, exclude_pk=None, max_length=200):
    """A slug from `name` that no other row of `model` uses: 'x', then 'x-2', 'x-3'…

    A name with nothing to slugify ("!!!") falls back to the model's name ("organisation").
    """
    fallback = model._meta.model_name
    base = (slugify(name) or fallback)[: max_length - 6].strip("-") or fallback
    candidate, suffix = base, 2
    taken = model.objects.exclude(pk=exclude_pk) if exclude_pk else model.objects.all()
    while taken.filter(slug=candidate).exists():
        candidate, suffix = f"{base}-{suffix}", suffix + 1
    return candidate
