"""Settings for the Leeds Health Tech Directory.

Everything that differs between a laptop, CI and production comes from the environment
(ARCHITECTURE.md §3). The helpers below fail loudly on a malformed value instead of guessing.
"""

import datetime
import ipaddress
import os
import tempfile
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name, default=""):
    value = os.environ.get(name)
    return default if value is None or value == "" else value


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true/false (1/0, yes/no, on/off), not {value!r}")


def env_int(name, default):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from None


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_networks(name):
    """Comma-separated IP addresses or CIDR ranges."""
    networks = []
    for item in env_list(name):
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ImproperlyConfigured(f"{name}: {item!r} is not an IP address or CIDR range") from None
    return networks


DEBUG = env_bool("DJANGO_DEBUG", False)

SECRET_KEY = env_str("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is required when DJANGO_DEBUG is off. "
            "Set it to a long random string, or set DJANGO_DEBUG=1 for local development."
        )
    # Only ever used with debug on, on a developer's machine.
    SECRET_KEY = "insecure-development-key-do-not-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
if DEBUG:
    ALLOWED_HOSTS += ["testserver"]
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "hubdir.apps.DirectoryAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "csp",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "django.contrib.sitemaps",
    "django_filters",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "core",
    "organisations",
    "initiatives",
]

MIDDLEWARE = [
    "hubdir.middleware.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "hubdir.middleware.SecurityHeadersMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # A database that is down or too slow answers 503 (core/errors.py).
    "core.errors.DatabaseUnavailableMiddleware",
    "core.errors.PublicStatementTimeoutMiddleware",
    # The data version is read at most once per GET; the page cache keys pages by it.
    "core.dataversion.DataVersionMiddleware",
    # Whole pages for anonymous visitors (core/pagecache.py): inside the middleware above, which
    # add their headers to every response, cached or not; outside the session, CSRF and messages
    # middleware below, whose cookies and Vary headers keep a page out of the cache.
    "core.pagecache.PageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: it turns a lockout raised during login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "hubdir.urls"
WSGI_APPLICATION = "hubdir.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "hubdir.context_processors.site",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DJANGO_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Milliseconds any one SQL statement of a public read (a GET or HEAD outside /admin/) may run on
# PostgreSQL before it is cancelled and the visitor gets a 503; 0 turns it off. The back office,
# form posts, management commands and migrations never run under it (core/errors.py).
PUBLIC_STATEMENT_TIMEOUT = env_int("DJANGO_PUBLIC_STATEMENT_TIMEOUT", 3000)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("DJANGO_STATIC_ROOT", str(BASE_DIR / "staticfiles")))
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
# The app serves MEDIA_ROOT itself (safely: hubdir/media.py) unless a proxy or object storage does.
MEDIA_STORAGE = env_str("DJANGO_MEDIA_STORAGE", "filesystem")
if MEDIA_STORAGE not in {"filesystem", "s3"}:
    raise ImproperlyConfigured(f"DJANGO_MEDIA_STORAGE must be filesystem or s3, not {MEDIA_STORAGE!r}")
SERVE_MEDIA = env_bool("DJANGO_SERVE_MEDIA", MEDIA_STORAGE == "filesystem")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    if MEDIA_STORAGE == "filesystem"
    else {
        # Credentials come from the standard AWS_* variables or the instance role.
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env_str("DJANGO_MEDIA_BUCKET"),
            "endpoint_url": env_str("DJANGO_MEDIA_ENDPOINT_URL") or None,
            "default_acl": None,
            "querystring_auth": False,
            "object_parameters": {"CacheControl": "public, max-age=86400"},
        },
    },
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

EMAIL_BACKEND = env_str("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DJANGO_DEFAULT_FROM_EMAIL", "directory@localhost")
# Who runs the directory, named on the about, privacy and accessibility pages and in the footer, and
# where the public writes for corrections, removal requests and accessibility problems. Debug off,
# an unset or placeholder (.example) value is never shown and `check --deploy` warns
# (hubdir/checks.py).
DIRECTORY_OPERATOR_NAME = env_str("DIRECTORY_OPERATOR_NAME")
DIRECTORY_CONTACT_EMAIL = env_str(
    "DIRECTORY_CONTACT_EMAIL", "directory@leedshealthtech.example" if DEBUG else ""
)
# The data controller's contact for privacy requests; the contact address unless it differs.
DIRECTORY_DATA_PROTECTION_EMAIL = env_str("DIRECTORY_DATA_PROTECTION_EMAIL", DIRECTORY_CONTACT_EMAIL)
# An entry whose last check is older than this many months is stale.
VERIFICATION_STALE_MONTHS = env_int("DIRECTORY_STALE_MONTHS", 12)
if VERIFICATION_STALE_MONTHS < 1:
    raise ImproperlyConfigured(f"DIRECTORY_STALE_MONTHS must be 1 or more, not {VERIFICATION_STALE_MONTHS}")
# Staff who hear about new public suggestions.
STAFF_NOTIFICATION_EMAILS = env_list("DJANGO_STAFF_EMAILS", "curators@localhost")

# Uploaded CSV files wait here between the admin's preview and its confirmation: outside MEDIA_ROOT,
# so an upload is never served. With several app servers, point it at storage they share.
CSV_IMPORT_DIR = Path(env_str("DJANGO_CSV_IMPORT_DIR", str(Path(tempfile.gettempdir()) / "hubdir-imports")))

# Seconds a whole page is kept for anonymous visitors, under the data version, so that any edit
# or erasure shows at once (core/pagecache.py); 0 turns the page cache off.
PAGE_CACHE_SECONDS = env_int("DJANGO_PAGE_CACHE_SECONDS", 300)
if PAGE_CACHE_SECONDS < 0:
    raise ImproperlyConfigured(f"DJANGO_PAGE_CACHE_SECONDS must be 0 or more, not {PAGE_CACHE_SECONDS}")

# The whole CSV export and the sitemap's sections, made once per data version and served from here
# (core/downloads.py). Each app server keeps its own; it never holds anything private.
DOWNLOAD_CACHE_DIR = Path(
    env_str("DJANGO_DOWNLOAD_CACHE_DIR", str(Path(tempfile.gettempdir()) / "hubdir-downloads"))
)

# The directory's own source data, used by build_fixtures.
SHARED_DATA_DIR = Path(env_str("HUBDIR_SHARED_DATA", str(BASE_DIR.parent / "shared" / "data")))
# Reference data and the real Leeds entries (`manage.py build_fixtures` regenerates the latter).
FIXTURE_DIRS = [BASE_DIR / "fixtures"]

# The region and health-tech rules of `manage.py register_candidates` (organisations/registers/).
REGISTER_RULES_FILE = Path(
    env_str("HUBDIR_REGISTER_RULES", str(BASE_DIR / "organisations" / "registers" / "rules.toml"))
)
if not REGISTER_RULES_FILE.is_file():
    raise ImproperlyConfigured(f"HUBDIR_REGISTER_RULES: there is no file at {REGISTER_RULES_FILE}")

# --- Security (ARCHITECTURE.md §3; `manage.py check --deploy --fail-level WARNING` passes with
# DJANGO_SECRET_KEY and DJANGO_ALLOWED_HOSTS set and debug off). ---
# Behind a reverse proxy that terminates TLS, name the header it sets, e.g. HTTP_X_FORWARDED_PROTO.
_proxy_ssl_header = env_str("DJANGO_SECURE_PROXY_SSL_HEADER")
SECURE_PROXY_SSL_HEADER = (_proxy_ssl_header, "https") if _proxy_ssl_header else None
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
# Load balancers probe over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
# The __Host- prefix pins cookies to this exact host over HTTPS; browsers refuse it over plain HTTP.
SESSION_COOKIE_NAME = "sessionid" if DEBUG else "__Host-sessionid"
CSRF_COOKIE_NAME = "csrftoken" if DEBUG else "__Host-csrftoken"
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=(), interest-cohort=()"
)

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Client IPs for rate limits and login throttling: REMOTE_ADDR unless a trusted proxy header is named
# (e.g. HTTP_X_FORWARDED_FOR), in which case the address DJANGO_TRUSTED_PROXY_COUNT hops from the
# right is used, so that a visitor cannot forge it; and only for requests that come from one of the
# DJANGO_TRUSTED_PROXIES (addresses or CIDR ranges), since anyone reaching the app directly could
# write any address in the header (core/client_ip.py).
TRUSTED_PROXY_HEADER = env_str("DJANGO_TRUSTED_PROXY_HEADER")
TRUSTED_PROXY_COUNT = env_int("DJANGO_TRUSTED_PROXY_COUNT", 1)
TRUSTED_PROXIES = env_networks("DJANGO_TRUSTED_PROXIES")
if TRUSTED_PROXY_HEADER and not TRUSTED_PROXIES:
    raise ImproperlyConfigured(
        "DJANGO_TRUSTED_PROXY_HEADER is set but DJANGO_TRUSTED_PROXIES is not: name the proxies' "
        "addresses (e.g. 127.0.0.1 or 10.0.0.0/8), or the header would be believed from anyone."
    )

# --- Admin login throttling (django-axes): after AXES_FAILURE_LIMIT failed sign-ins for one username
# from one client IP, that pair is locked out for an hour (HTTP 429); after AXES_IP_FAILURE_LIMIT
# failures from one client IP, whatever the usernames, so is that address. Tests log in with
# force_login.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("DJANGO_LOGIN_FAILURE_LIMIT", 5)
AXES_IP_FAILURE_LIMIT = env_int("DJANGO_LOGIN_IP_FAILURE_LIMIT", 20)
AXES_COOLOFF_TIME = datetime.timedelta(hours=1)
# The pair first, the address second: core/login_throttling.py reads them in this order.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_HANDLER = "core.login_throttling.LoginThrottleHandler"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "admin/locked_out.html"
# The same trusted-proxy rule as every other client-IP decision (no django-ipware needed).
AXES_CLIENT_IP_CALLABLE = "core.client_ip.get_client_ip"

# --- Read-only JSON API (ARCHITECTURE.md §8). No anonymous throttling: reads are cheap and public. ---
REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [],
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_THROTTLE_CLASSES": [],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "core.api.PagePagination",
    "PAGE_SIZE": 20,
    "EXCEPTION_HANDLER": "core.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Leeds Health Tech Directory API",
    "VERSION": "1.0.0",
    "DESCRIPTION": (
        "Read-only open data about the Leeds health technology ecosystem: published organisations, "
        "initiatives and their members, sectors, care settings, regulatory marks and reported key "
        "figures.\n\n"
        "**Licence and attribution.** The directory's data is available under the Creative Commons "
        "Attribution 4.0 International licence (CC BY 4.0, https://creativecommons.org/licenses/by/4.0/). "
        'When you reuse it, attribute it as: "Contains data from the Leeds Health Tech Directory". '
        "Reported key figures belong to the sources named with each figure. See /about/ for details.\n\n"
        "The list parameters are those of the public list page /organisations/. A malformed parameter "
        "value answers 400 with the parameter named; a page beyond the last answers 404."
    ),
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "LICENSE": {"name": "CC BY 4.0", "url": "https://creativecommons.org/licenses/by/4.0/"},
}

# Two-factor back-office login (TOTP, with static backup codes) when DJANGO_2FA is on.
TWO_FACTOR_ADMIN = env_bool("DJANGO_2FA", False)
OTP_TOTP_ISSUER = "Leeds Health Tech Directory"

# --- Cache and sessions: shared through Redis when several app servers run. ---
# Redis going down costs speed, never a page: the default cache treats its failures as misses
# (core/cache.py) and sessions fall back to the database. Rate limits use the "ratelimit" alias, which
# raises instead, so that they can count in the database while Redis is away (core/ratelimit.py).
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    _redis = {
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env_str("DJANGO_CACHE_PREFIX", "hubdir"),
        # A server that does not answer must not hold a request for long.
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 1.0},
    }
    CACHES = {
        "default": {"BACKEND": "core.cache.ResilientRedisCache", **_redis},
        "ratelimit": {"BACKEND": "django.core.cache.backends.redis.RedisCache", **_redis},
        # Whole pages (core/pagecache.py): shared, expiring by their own timeout.
        "pages": {"BACKEND": "core.cache.ResilientRedisCache", **_redis},
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        # Whole pages (core/pagecache.py) apart, so that a crawler reading every profile cannot push
        # the facet index and cached counts out of the default cache (each keeps its own 300 entries
        # at most, the least recently used going first); about 20 MB per process at most.
        "pages": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "pages",
            "OPTIONS": {"MAX_ENTRIES": 1000},
        },
    }
# Without Redis there is no cache shared by every worker, and rate limits count in the database.
RATELIMIT_USE_CACHE = "ratelimit" if REDIS_URL else None

# --- Logging: one JSON object per line on stdout. ---
LOG_LEVEL = env_str("DJANGO_LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        }
    },
    "handlers": {"stdout": {"class": "logging.StreamHandler", "formatter": "json"}},
    "root": {"handlers": ["stdout"], "level": LOG_LEVEL},
    "loggers": {
        # The request log below replaces Django's own access lines.
        "django.server": {"handlers": [], "propagate": False},
        "django.request": {"level": "ERROR"},
    },
}
