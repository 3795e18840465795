"""The platform around the apps: production settings, the database the run was asked for, translations."""

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.utils import translation

ROOT = Path(__file__).resolve().parent.parent


def test_production_settings_pass_the_deployment_checks() -> None:
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DJANGO_SETTINGS_MODULE": "aiguillage.settings.prod",
        "AIGUILLAGE_SECRET_KEY": "x" * 20 + "a-long-random-looking-secret-for-the-check-only-9f8e7d6c",
        "AIGUILLAGE_ALLOWED_HOSTS": "aiguillage.example.org",
        "DATABASE_URL": "sqlite:///:memory:",
        "AIGUILLAGE_BASE_URL": "https://aiguillage.example.org",
        "AIGUILLAGE_EMAIL_URL": "smtp+tls://aiguillage:not-a-secret@smtp.example.org:587",
        "AIGUILLAGE_CLIENT_IP_HEADER": "HTTP_X_REAL_IP",
        "AIGUILLAGE_ACCESS_LOG_KEY": "y" * 40,
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret_key() -> None:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "aiguillage.settings.prod", "AIGUILLAGE_SECRET_KEY": ""}
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode != 0
    assert "AIGUILLAGE_SECRET_KEY" in result.stderr


def test_time_is_stored_in_utc_and_shown_in_paris() -> None:
    assert settings.USE_TZ is True
    assert settings.TIME_ZONE == "Europe/Paris"


@pytest.mark.django_db
def test_the_run_uses_the_database_it_was_asked_for() -> None:
    """`make test` runs the suite twice; the PostgreSQL run must really be on PostgreSQL (never a silent fallback)."""
    expected = os.environ.get("AIGUILLAGE_EXPECT_DB", "sqlite")
    assert connection.vendor == expected
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA foreign_keys")
            assert cursor.fetchone()[0] == 1


def test_french_is_the_default_language_and_english_is_available() -> None:
    assert settings.LANGUAGE_CODE == "fr"
    assert [code for code, _ in settings.LANGUAGES] == ["fr", "en"]
    with translation.override("fr"):
        assert translation.gettext("Professionals") == "Professionnels"
    with translation.override("en"):
        assert translation.gettext("Professionals") == "Professionals"


def test_the_french_catalogue_has_no_untranslated_or_fuzzy_entry() -> None:
    po = ROOT / "locale" / "fr" / "LC_MESSAGES" / "django.po"
    for flag in ("--untranslated", "--only-fuzzy"):
        result = subprocess.run(["msgattrib", flag, str(po)], capture_output=True, text=True, check=True)
        assert result.stdout.strip() == "", f"entries left {flag}:\n{result.stdout[:2000]}"


@pytest.mark.django_db
def test_the_models_and_the_migrations_agree() -> None:
    from django.core.management import call_command

    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def test_the_embedded_database_runs_in_wal_mode(tmp_path: Path, django_db_blocker: Any) -> None:
    from django.db.utils import ConnectionHandler

    from aiguillage.settings.base import SQLITE_OPTIONS

    handler = ConnectionHandler(
        {
            "default": {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": str(tmp_path / "wal.sqlite3"),
                "OPTIONS": SQLITE_OPTIONS,
            }
        }
    )
    try:
        with django_db_blocker.unblock(), handler["default"].cursor() as cursor:
            cursor.execute("PRAGMA journal_mode")
            assert cursor.fetchone()[0] == "wal"
    finally:
        handler.close_all()


@pytest.mark.django_db
def test_error_pages_are_in_french(client: Any) -> None:
    from accounts.models import Role
    from tests.factories import CellFactory, MembershipFactory, ProfessionalFactory

    missing = client.get("/n-existe-pas/")
    assert missing.status_code == 404
    assert "Page introuvable" in missing.content.decode()
    cell = CellFactory(slug="erreurs")
    requester = MembershipFactory(
        cell=cell, role=Role.REQUESTER, requester_type="gp", professional=ProfessionalFactory(cell=cell)
    ).user
    client.force_login(requester)
    denied = client.get(f"/c/{cell.slug}/annuaire/professionnels/")
    assert denied.status_code == 403
    assert "Accès refusé" in denied.content.decode()


def test_the_500_page_needs_no_database_nor_context() -> None:
    from django.template import engines

    body = (ROOT / "templates" / "500.html").read_text()
    assert "{%" not in body and "{{" not in body
    assert engines["django"].from_string(body).render({})
