from django.conf import settings


def site(request):
    return {"contact_email": settings.DIRECTORY_CONTACT_EMAIL}
