"""Who runs the directory, from settings (DIRECTORY_OPERATOR_NAME, DIRECTORY_CONTACT_EMAIL,
DIRECTORY_DATA_PROTECTION_EMAIL): shown on the about, privacy and accessibility pages and in the footer,
and checked by `manage.py check --deploy`."""

from django.conf import settings
from django.core import checks

# Top-level domains reserved for examples and tests (RFC 2606, RFC 6761): never a real address.
PLACEHOLDER_DOMAINS = (".example", ".invalid", ".test", ".localhost")


def is_placeholder(email):
    """True for an address nobody reads: no domain, or a domain reserved for examples and tests."""
    local, at, domain = email.rpartition("@")
    domain = domain.lower().rstrip(".")
    return not (local and at and domain) or domain == "localhost" or domain.endswith(PLACEHOLDER_DOMAINS)


def shown(email):
    """The address as pages may show it: never a placeholder once debug is off."""
    if not email or (is_placeholder(email) and not settings.DEBUG):
        return ""
    return email


def operator_details():
    return {
        "name": settings.DIRECTORY_OPERATOR_NAME,
        "contact_email": shown(settings.DIRECTORY_CONTACT_EMAIL),
        "data_protection_email": shown(settings.DIRECTORY_DATA_PROTECTION_EMAIL),
    }


@checks.register(checks.Tags.security, deploy=True)
def check_operator(app_configs, **kwargs):
    """The public pages name who runs the directory and how to reach them: unset, they cannot."""
    warnings = []
    if not settings.DIRECTORY_OPERATOR_NAME:
        warnings.append(
            checks.Warning(
                "DIRECTORY_OPERATOR_NAME is not set: the about, privacy and accessibility pages name "
                "no operator (no data controller).",
                hint="Set it to the organisation that runs the directory.",
                id="hubdir.W001",
            )
        )
    for setting, what in (
        ("DIRECTORY_CONTACT_EMAIL", "corrections, removal requests and accessibility problems"),
        ("DIRECTORY_DATA_PROTECTION_EMAIL", "privacy requests"),
    ):
        email = getattr(settings, setting)
        if not email or is_placeholder(email):
            warnings.append(
                checks.Warning(
                    f"{setting} is {'a placeholder' if email else 'not set'}: the site shows no address "
                    f"for {what}.",
                    hint=f"Set {setting} to an address the operator reads.",
                    id="hubdir.W002" if setting == "DIRECTORY_CONTACT_EMAIL" else "hubdir.W003",
                )
            )
    return warnings
