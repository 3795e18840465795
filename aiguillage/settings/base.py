"""Settings shared by every environment. Everything that differs between machines comes from the environment."""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()

SECRET_KEY = env.str("AIGUILLAGE_SECRET_KEY", default="")
DEBUG = env.bool("AIGUILLAGE_DEBUG", default=False)
ALLOWED_HOSTS: list[str] = env.list("AIGUILLAGE_ALLOWED_HOSTS", default=[])
CSRF_TRUSTED_ORIGINS: list[str] = env.list("AIGUILLAGE_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_htmx",
    "django_filters",
    "phonenumber_field",
    "common",
    "scheduling",
    "accounts",
    "territory",
    "directory",
    "referrals",
    "agenda",
    "placement",
    "django_tasks",
    "django_tasks_db",
    "notifications",
    "alerts",
    "indicators",
    "capacity",
    "surveys",
    "audit",
    "privacy",
    "desk",
    "api",
    "interop",
    "ninja",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "common.middleware.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "accounts.middleware.SessionLimitsMiddleware",
    "accounts.middleware.SecondFactorMiddleware",
    "accounts.middleware.NoStoreMiddleware",
    "audit.context.AccessOriginMiddleware",
    "common.middleware.LockBusyMiddleware",
]

ROOT_URLCONF = "aiguillage.urls"
WSGI_APPLICATION = "aiguillage.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.memberships",
            ],
        },
    },
]

# SQLite is the embedded default (demo, development); PostgreSQL is chosen with DATABASE_URL.
DATABASES = {
    "default": env.db_url(
        "DATABASE_URL",
        default=f"sqlite:///{BASE_DIR / 'var' / 'aiguillage.sqlite3'}",
    )
}
# WAL lets the web process and the worker read while one writes; IMMEDIATE avoids lock-upgrade deadlocks.
SQLITE_OPTIONS = {
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = dict(SQLITE_OPTIONS)
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("AIGUILLAGE_CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# PostgreSQL: how long a domain write waits for a row another one holds (common.locking.lock_wait_bounded) before it
# is refused with "try again"; SQLite waits on its database lock instead (SQLITE_OPTIONS' timeout).
AIGUILLAGE_LOCK_TIMEOUT_MS = env.int("AIGUILLAGE_LOCK_TIMEOUT_MS", default=5000)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:home"
LOGOUT_REDIRECT_URL = "accounts:login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("French")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Europe/Paris"
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = env.path("AIGUILLAGE_STATIC_ROOT", default=BASE_DIR / "var" / "static")
# Front-end libraries come from the npm registry (`npm ci` in `make setup`, package-lock.json), served from there.
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/fullcalendar", BASE_DIR / "node_modules" / "fullcalendar"),
    ("vendor/fullcalendar-core", BASE_DIR / "node_modules" / "@fullcalendar" / "core"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

PHONENUMBER_DEFAULT_REGION = "FR"
PHONENUMBER_DEFAULT_FORMAT = "E164"

# Sessions end after 30 minutes without activity (the queue's own refresh does not count) and 12 hours after login.
AIGUILLAGE_IDLE_MINUTES = env.int("AIGUILLAGE_IDLE_MINUTES", default=30)
AIGUILLAGE_SESSION_HOURS = env.int("AIGUILLAGE_SESSION_HOURS", default=12)
SESSION_COOKIE_AGE = AIGUILLAGE_SESSION_HOURS * 3600
# Two-factor authentication (TOTP, any authenticator app; recovery codes). The issuer names the account in the app.
OTP_TOTP_ISSUER = env.str("AIGUILLAGE_TOTP_ISSUER", default="Aiguillage")
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# Failed logins: after this many for one username from one address, a pause that doubles with each further failure
# (1 minute, 2, 4… at most AIGUILLAGE_LOGIN_MAX_PAUSE_MINUTES); one address alone gets five times as many.
AIGUILLAGE_LOGIN_FAILURES = env.int("AIGUILLAGE_LOGIN_FAILURES", default=10)
AIGUILLAGE_LOGIN_MAX_PAUSE_MINUTES = env.int("AIGUILLAGE_LOGIN_MAX_PAUSE_MINUTES", default=15)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Behind a reverse proxy, the header that carries the visitor's address (e.g. HTTP_X_REAL_IP); empty without a proxy.
AIGUILLAGE_CLIENT_IP_HEADER = env.str("AIGUILLAGE_CLIENT_IP_HEADER", default="")

# The access log (traçabilité): how long its rows are kept (months), and the key of its hash chain. The key must never
# change once the log has rows (verification would fail); by default it is derived from SECRET_KEY (SECURITY.md).
AIGUILLAGE_ACCESS_LOG_MONTHS = env.int("AIGUILLAGE_ACCESS_LOG_MONTHS", default=12)
AIGUILLAGE_ACCESS_LOG_KEY = env.str("AIGUILLAGE_ACCESS_LOG_KEY", default="")

# The address people reach Aiguillage at, for the links in messages (no trailing slash).
AIGUILLAGE_BASE_URL = env.str("AIGUILLAGE_BASE_URL", default="http://127.0.0.1:8000")

# Background work (messages): tasks stored in the database, run by `manage.py db_worker` (no broker needed).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
# How many days of periodic job runs the status page keeps (`manage.py scheduler` purges older ones daily).
AIGUILLAGE_JOB_RUNS_DAYS = env.int("AIGUILLAGE_JOB_RUNS_DAYS", default=30)

# E-mail: an SMTP URL in production (smtp+tls://user:password@host:587), printed on the console in development.
vars().update(env.email_url("AIGUILLAGE_EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("AIGUILLAGE_FROM_EMAIL", default="Aiguillage <aiguillage@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Seconds the SMTP server has for each step (connection, each reply): one that hangs is given up and tried again later
# (a reply lost after the message was sent means it goes again, with the same Message-ID).
EMAIL_TIMEOUT = env.float("AIGUILLAGE_EMAIL_TIMEOUT", default=20.0)

# The MSSanté relay: the SMTP server of the cell's MSSanté provider (its operator's messaging), the only way messages
# carrying health details leave by e-mail (docs/mssante.md). No host: not configured, and those messages go as a plain
# e-mail with no health detail and a link to read them after logging in. TLS is "starttls" (usually port 587) or
# "implicit" (usually 465); the sender is the cell's own MSSanté address; the CA file, when the provider's certificate
# comes from an authority the system does not know (the IGC Santé's).
AIGUILLAGE_MSSANTE_HOST = env.str("AIGUILLAGE_MSSANTE_HOST", default="")
AIGUILLAGE_MSSANTE_PORT = env.int("AIGUILLAGE_MSSANTE_PORT", default=587)
AIGUILLAGE_MSSANTE_USER = env.str("AIGUILLAGE_MSSANTE_USER", default="")
AIGUILLAGE_MSSANTE_PASSWORD = env.str("AIGUILLAGE_MSSANTE_PASSWORD", default="")
AIGUILLAGE_MSSANTE_TLS = env.str("AIGUILLAGE_MSSANTE_TLS", default="starttls")
AIGUILLAGE_MSSANTE_FROM = env.str("AIGUILLAGE_MSSANTE_FROM", default="")
AIGUILLAGE_MSSANTE_CA_FILE = env.str("AIGUILLAGE_MSSANTE_CA_FILE", default="")
if AIGUILLAGE_MSSANTE_TLS not in ("starttls", "implicit"):
    raise ImproperlyConfigured("AIGUILLAGE_MSSANTE_TLS is starttls or implicit: MSSanté is never reached in clear.")
if AIGUILLAGE_MSSANTE_HOST and not AIGUILLAGE_MSSANTE_FROM:
    raise ImproperlyConfigured("AIGUILLAGE_MSSANTE_FROM (the cell's MSSanté address) is needed with the relay.")

# How far ahead recurring plans generate their slots (days); `manage.py extend_plans` keeps the horizon rolling.
AIGUILLAGE_AGENDA_HORIZON_DAYS = env.int("AIGUILLAGE_AGENDA_HORIZON_DAYS", default=28)

# SMS: "console" (the log; demo and development) or "brevo" (Brevo's transactional SMS API, with its key).
AIGUILLAGE_SMS_BACKEND = env.str("AIGUILLAGE_SMS_BACKEND", default="console")
AIGUILLAGE_SMS_API_URL = env.str("AIGUILLAGE_SMS_API_URL", default="https://api.brevo.com")
AIGUILLAGE_SMS_API_KEY = env.str("AIGUILLAGE_SMS_API_KEY", default="")
AIGUILLAGE_SMS_SENDER = env.str("AIGUILLAGE_SMS_SENDER", default="Aiguillage")  # 11 letters or digits at most
AIGUILLAGE_SMS_TIMEOUT = env.float("AIGUILLAGE_SMS_TIMEOUT", default=10.0)

# --- Geocoding with the Base Adresse Nationale (BAN) ------------------------------------------------------------------
# Off by default (empty URL): every distance is then from the commune's point, and no address leaves the server.
# On, with the API's base address (https://data.geopf.fr/geocodage, IGN's Géoplateforme, which took over
# https://api-adresse.data.gouv.fr): sites' and patients' addresses are geocoded in the background (the commune's point
# meanwhile and whenever BAN cannot say), answers are kept in the database, and address fields suggest addresses.
AIGUILLAGE_BAN_URL = env.str("AIGUILLAGE_BAN_URL", default="")
# Seconds for each call to BAN: a slow answer is given up (the commune's point is used) rather than waited for.
AIGUILLAGE_BAN_TIMEOUT = env.float("AIGUILLAGE_BAN_TIMEOUT", default=2.0)
# BAN's score (0 to 1) from which a match is trusted; below it, the commune's point.
AIGUILLAGE_BAN_MIN_SCORE = env.float("AIGUILLAGE_BAN_MIN_SCORE", default=0.5)
# How long (days) a geocoded address is kept and reused before BAN is asked again.
AIGUILLAGE_BAN_CACHE_DAYS = env.int("AIGUILLAGE_BAN_CACHE_DAYS", default=30)
# Address suggestions each user may ask for per minute (type-ahead sends one every few keystrokes).
AIGUILLAGE_BAN_SUGGESTIONS_PER_MINUTE = env.int("AIGUILLAGE_BAN_SUGGESTIONS_PER_MINUTE", default=60)
# --- end of BAN geocoding ---------------------------------------------------------------------------------------------

# Pages of lists in the cell administration screens.
AIGUILLAGE_PAGE_SIZE = env.int("AIGUILLAGE_PAGE_SIZE", default=25)

# --- Pro Santé Connect (PSC): login of health professionals with their CPS card or e-CPS app -------------------------
# OpenID Connect, authorization code with PKCE (accounts/psc.py). Off while AIGUILLAGE_PSC_CLIENT_ID is empty. The ANS
# gives the client id and secret when the service registers its redirect URI:
# AIGUILLAGE_BASE_URL + /connexion/psc/retour/.
# PSC serves its discovery document at a non-standard path (".well-known/wallet-openid-configuration").
PSC_DISCOVERY_URLS = {
    "production": "https://auth.esw.esante.gouv.fr/auth/realms/esante-wallet/.well-known/wallet-openid-configuration",
    "sandbox": "https://auth.bas.psc.esante.gouv.fr/auth/realms/esante-wallet/.well-known/wallet-openid-configuration",
}
AIGUILLAGE_PSC_ENVIRONMENT = env.str("AIGUILLAGE_PSC_ENVIRONMENT", default="production")
AIGUILLAGE_PSC_DISCOVERY_URL = env.str(
    "AIGUILLAGE_PSC_DISCOVERY_URL", default=PSC_DISCOVERY_URLS.get(AIGUILLAGE_PSC_ENVIRONMENT, "")
)
AIGUILLAGE_PSC_CLIENT_ID = env.str("AIGUILLAGE_PSC_CLIENT_ID", default="")
AIGUILLAGE_PSC_CLIENT_SECRET = env.str("AIGUILLAGE_PSC_CLIENT_SECRET", default="")
AIGUILLAGE_PSC_TIMEOUT = env.float("AIGUILLAGE_PSC_TIMEOUT", default=10.0)  # seconds, each call to PSC
# The second backend only marks sessions opened through PSC (accounts/backends.py); it never checks a password.
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend", "accounts.backends.ProSanteConnectBackend"]
# --- end of Pro Santé Connect --------------------------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("AIGUILLAGE_LOG_LEVEL", default="INFO")},
    # WeasyPrint narrates each step of every PDF (and of its own start) at INFO: only its warnings matter here.
    # urllib3 (under common.outbound) writes each address it calls at DEBUG, query included: a patient's phone number
    # (the SMS provider's lookup), an address (the BAN). Only its warnings are let through.
    "loggers": {"weasyprint": {"level": "WARNING"}, "urllib3": {"level": "WARNING"}},
}

# --- Annuaire Santé import (directory/importer.py, README "Annuaire Santé import") ---------------------------------
# Where uploaded extracts wait for the worker (deleted once imported); the largest upload accepted, in megabytes (the
# whole of France is about 1 GB of text, a few hundred MB zipped; nginx's client_max_body_size must allow it on the
# upload address); how many rejected lines an import keeps for its report (all are counted); after how many minutes
# without progress a running import is taken as interrupted (its worker was stopped), so that a new one may start.
AIGUILLAGE_ANNUAIRE_DIR = env.path("AIGUILLAGE_ANNUAIRE_DIR", default=BASE_DIR / "var" / "annuaire")
AIGUILLAGE_ANNUAIRE_MAX_UPLOAD_MB = env.int("AIGUILLAGE_ANNUAIRE_MAX_UPLOAD_MB", default=1536)
AIGUILLAGE_ANNUAIRE_MAX_ISSUES = env.int("AIGUILLAGE_ANNUAIRE_MAX_ISSUES", default=20000)
AIGUILLAGE_ANNUAIRE_STALE_MINUTES = env.int("AIGUILLAGE_ANNUAIRE_STALE_MINUTES", default=15)
# --- end of Annuaire Santé import ------------------------------------------------------------------------------------

# --- Browser hardening: Content-Security-Policy, Cross-Origin-Opener-Policy, Permissions-Policy ----------------------
# Kept as one block at the end of the file. Pages run no inline script, no inline style and no eval: every script and
# stylesheet is a file under static/ (tests/test_csp.py scans the templates). Charts are pygal SVGs in data: images.
# The one exception is the agenda calendar: FullCalendar 6 ships no stylesheet and creates its own <style> element at
# run time; agenda/templates/agenda/calendar.html gives it a per-request nonce (<meta name="csp-nonce">), which
# django-csp adds to style-src on that page only (NONCE is dropped from pages that never read request.csp_nonce), and
# that page's view adds data: to font-src for the icon font embedded in that <style> (agenda/calendar_views.py).
from csp.constants import NONCE, NONE, SELF  # noqa: E402  (this block is appended to the file on purpose)

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Features no page of Aiguillage uses, refused to the page and to anything it embeds (common/middleware.py).
PERMISSIONS_POLICY: dict[str, list[str]] = {
    "accelerometer": [],
    "autoplay": [],
    "camera": [],
    "display-capture": [],
    "geolocation": [],
    "gyroscope": [],
    "hid": [],
    "magnetometer": [],
    "microphone": [],
    "midi": [],
    "payment": [],
    "serial": [],
    "usb": [],
    "xr-spatial-tracking": [],
}
# --- end of browser hardening ----------------------------------------------------------------------------------------

# FHIR server for the national SAS platform (/fhir/) and the appointments pushed to it (README "The SAS platform").
# nginx verifies the client's IGC-Santé certificate and always overwrites these two headers; only the allow-listed
# subjects are served (an entry matches when all its attributes, e.g. CN and OU, are in the certificate's subject).
AIGUILLAGE_FHIR_CLIENT_VERIFY_HEADER = env.str(
    "AIGUILLAGE_FHIR_CLIENT_VERIFY_HEADER", default="HTTP_X_SSL_CLIENT_VERIFY"
)
AIGUILLAGE_FHIR_CLIENT_SUBJECT_HEADER = env.str(
    "AIGUILLAGE_FHIR_CLIENT_SUBJECT_HEADER", default="HTTP_X_SSL_CLIENT_S_DN"
)
# Subjects contain commas: the entries are separated by semicolons.
AIGUILLAGE_FHIR_ALLOWED_SUBJECTS: list[str] = [
    entry.strip() for entry in env.str("AIGUILLAGE_FHIR_ALLOWED_SUBJECTS", default="").split(";") if entry.strip()
]
# Among them, the SAS platform's own subjects: only these manage regulators' accounts (INT_R02).
AIGUILLAGE_FHIR_SAS_SUBJECTS: list[str] = [
    entry.strip() for entry in env.str("AIGUILLAGE_FHIR_SAS_SUBJECTS", default="").split(";") if entry.strip()
]
# The cells whose requesters the SAS platform's regulators become (INT_R02): slugs, or * for every cell.
AIGUILLAGE_SAS_REGULATOR_CELLS: list[str] = env.list("AIGUILLAGE_SAS_REGULATOR_CELLS", default=["*"])
# INT_R03: where appointments booked by SAS regulators are pushed (the SAS platform's FHIR base; empty = off), the
# client certificate (IGC-Santé) and key for its mutual TLS, the CA bundle that signs its certificate, and the timeout.
AIGUILLAGE_SAS_APPOINTMENTS_URL = env.str("AIGUILLAGE_SAS_APPOINTMENTS_URL", default="")
AIGUILLAGE_SAS_CLIENT_CERT = env.str("AIGUILLAGE_SAS_CLIENT_CERT", default="")
AIGUILLAGE_SAS_CLIENT_KEY = env.str("AIGUILLAGE_SAS_CLIENT_KEY", default="")
AIGUILLAGE_SAS_CA_BUNDLE = env.str("AIGUILLAGE_SAS_CA_BUNDLE", default="")
AIGUILLAGE_SAS_TIMEOUT = env.float("AIGUILLAGE_SAS_TIMEOUT", default=10.0)
