"""Local development and `make demo`: SQLite by default, debug on, loopback only."""

from .base import *  # noqa: F403
from .base import AIGUILLAGE_FHIR_ALLOWED_SUBJECTS, AIGUILLAGE_FHIR_SAS_SUBJECTS, env

DEBUG = env.bool("AIGUILLAGE_DEBUG", default=True)
SECRET_KEY = env.str("AIGUILLAGE_SECRET_KEY", default="dev-only-not-secret-aiguillage-demo-key-0123456789")
ALLOWED_HOSTS = env.list("AIGUILLAGE_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
AIGUILLAGE_DEMO = env.bool("AIGUILLAGE_DEMO", default=True)
# Serve static files from the apps and static/ directly (no collectstatic needed).
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
# The demo has no nginx: a local FHIR client sends the two headers nginx would set, with this invented subject
# (README "FHIR server and the SAS platform"). Production serves only the subjects it is given.
if not AIGUILLAGE_FHIR_ALLOWED_SUBJECTS:
    AIGUILLAGE_FHIR_ALLOWED_SUBJECTS = ["CN=plateforme-sas.demo,OU=SAS"]
if not AIGUILLAGE_FHIR_SAS_SUBJECTS:
    AIGUILLAGE_FHIR_SAS_SUBJECTS = ["CN=plateforme-sas.demo,OU=SAS"]
