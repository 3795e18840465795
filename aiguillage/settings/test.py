"""The test suite: same code paths as production, fast password hashing, plain static storage."""

import os

from .base import *  # noqa: F403
from .base import env

DEBUG = False
SECRET_KEY = "test-only-not-secret-aiguillage-key-0123456789abcdef"  # noqa: S105
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
AIGUILLAGE_DEMO = False
LOGGING = {**LOGGING, "root": {"handlers": ["console"], "level": env.str("AIGUILLAGE_LOG_LEVEL", default="WARNING")}}  # noqa: F405
# Serve static files from the apps and static/ directly (no collectstatic needed).
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True

# A file, not shared memory, for SQLite test databases: the concurrency tests book from many threads at once, and an
# in-memory shared cache answers "table locked" instead of waiting its turn as a real SQLite file does. One file per
# test run (its process id): two runs at once on one machine never share, nor delete, each other's database.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "var" / f"test-aiguillage-{os.getpid()}.sqlite3")}  # noqa: F405
