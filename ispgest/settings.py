"""ispgest settings: one file, everything that differs between machines comes from the environment.

See the README's environment-variable table. Secrets may be given as NAME or as NAME_FILE
(a path whose content is the secret), so they never live in the repository.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("ISPGEST_VAR_DIR", BASE_DIR / "var"))


def envbool(name: str, default: str = "False") -> bool:
    return os.environ.get(name, default).strip().lower() in {"1", "true", "yes", "on"}


def envint(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def envsecret(name: str, default: str = "") -> str:
    """NAME from the environment, else the content of the file named by NAME_FILE."""
    if name in os.environ:
        return os.environ[name]
    path = os.environ.get(f"{name}_FILE")
    if path:
        return Path(path).read_text().strip()
    return default


def _local_secret_key() -> str:
    """A per-checkout key kept under var/ (git-ignored) so development needs no set-up."""
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    path = VAR_DIR / "secret_key"
    if not path.exists():
        import secrets

        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


DEBUG = envbool("ISPGEST_DEBUG", "False")
SECRET_KEY = envsecret("ISPGEST_SECRET_KEY") or _local_secret_key()
# Fernet key encrypting stored router API passwords; derived from SECRET_KEY when unset.
ISPGEST_SECRETS_KEY = envsecret("ISPGEST_SECRETS_KEY")
ALLOWED_HOSTS = [
    h for h in os.environ.get("ISPGEST_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h
]
CSRF_TRUSTED_ORIGINS = [
    o for o in os.environ.get("ISPGEST_CSRF_TRUSTED_ORIGINS", "").split(",") if o
]
SITE_URL = os.environ.get("ISPGEST_SITE_URL", "http://127.0.0.1:8000")
VERSION = "0.1.0"

# The ISP's country: AR, CO, EC, MX, ES or OTHER. It picks currency, formats, document and
# tax-id kinds and the default catalog rows (ispgest/core/country.py).
ISPGEST_COUNTRY = os.environ.get("ISPGEST_COUNTRY", "AR").upper()

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.forms",
    "django.contrib.postgres",
    "django_htmx",
    "ninja",  # its templates and static files: the API docs page loads Swagger UI from the app
    "axes",
    "django_tasks",
    "django_tasks_db",
    "django_rq",
    "ispgest.core",
    "ispgest.accounts",
    "ispgest.catalog",
    "ispgest.clients",
    "ispgest.contracts",
    "ispgest.billing",
    "ispgest.network",
    "ispgest.crm",
    "ispgest.messaging",
    "ispgest.tickets",
    "ispgest.fiscal",
    "ispgest.webhooks",
    "ispgest.ops",
    "ispgest.portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "ispgest.api.middleware.ApiErrorMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "ispgest.accounts.middleware.UserLanguageMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "ispgest.core.middleware.ControlCharactersMiddleware",
    "ispgest.core.middleware.SecurityHeadersMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "ispgest.urls"
WSGI_APPLICATION = "ispgest.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "ispgest" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "ispgest.core.context_processors.country",
            ],
            # money, number, percent, fdate and taxid format values in every template,
            # e-mails included, as the country profile writes them.
            "builtins": ["ispgest.core.templatetags.ispgest"],
        },
    }
]

FORM_RENDERER = "ispgest.core.forms.FormRenderer"

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'ispgest.sqlite3'}"),
        conn_max_age=envint("ISPGEST_DB_CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["ENGINE"] = "ispgest.core.db.sqlite3"
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

AXES_FAILURE_LIMIT = envint("ISPGEST_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = 0.5  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"

SESSION_ENGINE = os.environ.get("ISPGEST_SESSION_ENGINE", "django.contrib.sessions.backends.db")
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = envbool("ISPGEST_SECURE_COOKIES")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# Behind HTTPS (ISPGEST_SECURE_COOKIES on): browsers keep to HTTPS for a year.
SECURE_HSTS_SECONDS = 31536000 if SESSION_COOKIE_SECURE else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = SESSION_COOKIE_SECURE
# Scripts and styles come from the app itself (no CDN, no inline scripts); inline style
# attributes stay allowed for the few widths and the styles htmx adds to its indicators.
ISPGEST_CONTENT_SECURITY_POLICY = os.environ.get(
    "ISPGEST_CONTENT_SECURITY_POLICY",
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
)
# The API docs page and the OpenAPI spec need a signed-in user or an API token unless on.
ISPGEST_PUBLIC_API_DOCS = envbool("ISPGEST_PUBLIC_API_DOCS")
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True

LANGUAGE_CODE = "es"
LANGUAGES = [("es", _("Español")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "ispgest" / "locale"]
TIME_ZONE = os.environ.get("ISPGEST_TIME_ZONE", "America/Argentina/Buenos_Aires")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
import xstatic.pkg.bootstrap  # noqa: E402

STATICFILES_DIRS = [BASE_DIR / "ispgest" / "static", ("bootstrap", xstatic.pkg.bootstrap.BASE_DIR)]
MEDIA_ROOT = Path(os.environ.get("ISPGEST_MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "/media/"  # never served directly: downloads go through permission-checked views
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 20000
NINJA_PAGINATION_CLASS = "ispgest.api.pagination.CursorPagination"
ISPGEST_UPLOAD_MAX_BYTES = envint("ISPGEST_UPLOAD_MAX_BYTES", 10 * 1024 * 1024)
# Importar clientes: files are streamed from disk; these bound one import.
ISPGEST_IMPORT_MAX_BYTES = envint("ISPGEST_IMPORT_MAX_BYTES", 200 * 1024 * 1024)
ISPGEST_IMPORT_MAX_ROWS = envint("ISPGEST_IMPORT_MAX_ROWS", 1_000_000)
# Webhooks (docs/webhooks.md). Hosts listed here may be loopback/private addresses.
ISPGEST_WEBHOOK_ALLOWED_HOSTS = [
    h.strip() for h in os.environ.get("ISPGEST_WEBHOOK_ALLOWED_HOSTS", "").split(",") if h.strip()
]
ISPGEST_WEBHOOK_TIMEOUT = envint("ISPGEST_WEBHOOK_TIMEOUT", 10)
ISPGEST_WEBHOOK_RETRY_BASE = envint("ISPGEST_WEBHOOK_RETRY_BASE", 60)
ISPGEST_WEBHOOK_MAX_ATTEMPTS = envint("ISPGEST_WEBHOOK_MAX_ATTEMPTS", 12)
ISPGEST_WEBHOOK_PAUSE_AFTER = timedelta(hours=envint("ISPGEST_WEBHOOK_PAUSE_AFTER_HOURS", 24))
# Backups (manage.py backup, scheduled job ops.backup): folder and how many archives to keep.
ISPGEST_BACKUP_DIR = Path(os.environ.get("ISPGEST_BACKUP_DIR", VAR_DIR / "backups"))
ISPGEST_BACKUP_KEEP = envint("ISPGEST_BACKUP_KEEP", 7)

# Background work: the database queue by default; "rq" moves it to Redis (RQ workers).
TASKS_BACKEND = os.environ.get("ISPGEST_TASKS_BACKEND", "db")
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
_TASK_BACKENDS = {
    "db": "django_tasks_db.DatabaseBackend",
    "rq": "django_tasks_rq.RQBackend",
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
}
TASKS = {
    "default": {"BACKEND": _TASK_BACKENDS[TASKS_BACKEND], "QUEUES": ["default"]},
}
RQ_QUEUES = {"default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 3600}}
# `manage.py rqworker` must run jobs with django-tasks-rq's job class (it calls the task).
RQ = {"JOB_CLASS": "django_tasks_rq.Job"}

# E-mail: always SMTP (a local relay in production, aiosmtpd in tests).
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = os.environ.get("ISPGEST_EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = envint("ISPGEST_EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("ISPGEST_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = envsecret("ISPGEST_EMAIL_PASSWORD")
EMAIL_USE_TLS = envbool("ISPGEST_EMAIL_USE_TLS")
EMAIL_TIMEOUT = 20
DEFAULT_FROM_EMAIL = os.environ.get("ISPGEST_FROM_EMAIL", "ispgest <no-reply@ispgest.local>")
# Exports at most this size travel attached; larger ones as an expiring link.
ISPGEST_EXPORT_ATTACH_MAX_BYTES = envint("ISPGEST_EXPORT_ATTACH_MAX_BYTES", 5 * 1024 * 1024)
ISPGEST_EMAIL_MAX_ATTEMPTS = envint("ISPGEST_EMAIL_MAX_ATTEMPTS", 5)
# "Enviar Email": all attachments of one message together at most this size.
ISPGEST_MAIL_MAX_ATTACHMENTS_BYTES = envint("ISPGEST_MAIL_MAX_ATTACHMENTS_BYTES", 20 * 1024 * 1024)
# Received mail (IMAP): a bigger message is refused (recorded, left on the server).
ISPGEST_MAIL_MAX_INBOUND_BYTES = envint("ISPGEST_MAIL_MAX_INBOUND_BYTES", 25 * 1024 * 1024)
# Seconds an IMAP connection may wait for the server.
ISPGEST_IMAP_TIMEOUT = envint("ISPGEST_IMAP_TIMEOUT", 30)

# VERI*FACTU (ispgest.fiscal.verifactu): the invoicing system's identification that every
# record carries (SistemaInformatico), and where records are sent. The producer's NIF must be
# set before a billing entity may issue under VERI*FACTU (docs/verifactu.md).
ISPGEST_VERIFACTU_PRODUCER_NAME = os.environ.get("ISPGEST_VERIFACTU_PRODUCER_NAME", "ispgest")
ISPGEST_VERIFACTU_PRODUCER_NIF = os.environ.get("ISPGEST_VERIFACTU_PRODUCER_NIF", "")
ISPGEST_VERIFACTU_SYSTEM_NAME = os.environ.get("ISPGEST_VERIFACTU_SYSTEM_NAME", "ispgest")
ISPGEST_VERIFACTU_SYSTEM_ID = os.environ.get("ISPGEST_VERIFACTU_SYSTEM_ID", "IG")
ISPGEST_VERIFACTU_VERSION = os.environ.get("ISPGEST_VERIFACTU_VERSION", "0.1.0")
ISPGEST_VERIFACTU_INSTALLATION = os.environ.get("ISPGEST_VERIFACTU_INSTALLATION", "1")
ISPGEST_VERIFACTU_ENDPOINT_TEST = os.environ.get(
    "ISPGEST_VERIFACTU_ENDPOINT_TEST",
    "https://prewww1.aeat.es/wlpl/TIKE-CONT/ws/SistemaFacturacion/VerifactuSOAP",
)
ISPGEST_VERIFACTU_ENDPOINT_PRODUCTION = os.environ.get(
    "ISPGEST_VERIFACTU_ENDPOINT_PRODUCTION",
    "https://www1.agenciatributaria.gob.es/wlpl/TIKE-CONT/ws/SistemaFacturacion/VerifactuSOAP",
)
ISPGEST_VERIFACTU_QR_URL_TEST = "https://prewww2.aeat.es/wlpl/TIKE-CONT/ValidarQR"
ISPGEST_VERIFACTU_QR_URL_PRODUCTION = (
    "https://www2.agenciatributaria.gob.es/wlpl/TIKE-CONT/ValidarQR"
)
# CA bundle that verifies the agency's server certificate (default: the system's).
ISPGEST_VERIFACTU_CA_FILE = os.environ.get("ISPGEST_VERIFACTU_CA_FILE", "")
ISPGEST_VERIFACTU_TIMEOUT = envint("ISPGEST_VERIFACTU_TIMEOUT", 60)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("ISPGEST_LOG_LEVEL", "WARNING")},
    "loggers": {"django_tasks": {"level": "INFO"}},
}
