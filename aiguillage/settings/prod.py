"""Production: every secret from the environment, HTTPS only, PostgreSQL expected (DATABASE_URL)."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import SECRET_KEY, env

if len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("AIGUILLAGE_SECRET_KEY must be set to a random string of at least 50 characters.")

DEBUG = False
AIGUILLAGE_DEMO = False
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("AIGUILLAGE_SSL_REDIRECT", default=True)
# The host's monitoring asks gunicorn directly over loopback: its probes answer there (they carry no data).
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_HSTS_SECONDS = env.int("AIGUILLAGE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env.bool("AIGUILLAGE_HSTS_PRELOAD", default=True)
if not SECURE_HSTS_PRELOAD:
    # The operator chose not to be preloaded (e.g. a shared parent domain): that check has nothing left to say.
    SILENCED_SYSTEM_CHECKS = ["security.W021"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True

# Behind the proxy every visitor would be the proxy's address: login pauses keyed on it would let anyone lock users
# out, and the access log would say nothing of where a reading came from. The header nginx sets is required.
AIGUILLAGE_CLIENT_IP_HEADER = env.str("AIGUILLAGE_CLIENT_IP_HEADER")
if not AIGUILLAGE_CLIENT_IP_HEADER.startswith("HTTP_"):
    raise ImproperlyConfigured("AIGUILLAGE_CLIENT_IP_HEADER must name the header nginx sets, e.g. HTTP_X_REAL_IP.")
# The access log's chain key: its own secret, so that rotating SECRET_KEY neither breaks nor exposes the chain.
AIGUILLAGE_ACCESS_LOG_KEY = env.str("AIGUILLAGE_ACCESS_LOG_KEY")
if len(AIGUILLAGE_ACCESS_LOG_KEY) < 32:
    raise ImproperlyConfigured("AIGUILLAGE_ACCESS_LOG_KEY must be set to a random string of at least 32 characters.")
# The Django admin never shows second-factor secrets or recovery codes.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# Links in messages must lead to the real address, and e-mail must reach a real server.
AIGUILLAGE_BASE_URL = env.str("AIGUILLAGE_BASE_URL")
vars().update(env.email_url("AIGUILLAGE_EMAIL_URL"))

# BAN geocoding, when on, sends patients' street addresses: only over HTTPS (territory/geocoding.py).
AIGUILLAGE_BAN_URL = env.str("AIGUILLAGE_BAN_URL", default="")
if AIGUILLAGE_BAN_URL and not AIGUILLAGE_BAN_URL.startswith("https://"):
    raise ImproperlyConfigured("AIGUILLAGE_BAN_URL must be an https:// address (or empty to leave geocoding off).")
# Pro Santé Connect, when on: its discovery document over HTTPS only, and the client secret the ANS gave.
if AIGUILLAGE_PSC_CLIENT_ID:  # noqa: F405
    if not AIGUILLAGE_PSC_DISCOVERY_URL.startswith("https://"):  # noqa: F405
        raise ImproperlyConfigured("AIGUILLAGE_PSC_DISCOVERY_URL must be an https:// address (or set the environment).")
    if not AIGUILLAGE_PSC_CLIENT_SECRET:  # noqa: F405
        raise ImproperlyConfigured("AIGUILLAGE_PSC_CLIENT_SECRET must be set when AIGUILLAGE_PSC_CLIENT_ID is.")
# INT_R03 sends appointments with the regulator's and the effector's identifiers: over HTTPS only.
if AIGUILLAGE_SAS_APPOINTMENTS_URL and not AIGUILLAGE_SAS_APPOINTMENTS_URL.startswith("https://"):  # noqa: F405
    raise ImproperlyConfigured("AIGUILLAGE_SAS_APPOINTMENTS_URL must be an https:// address (or empty).")
