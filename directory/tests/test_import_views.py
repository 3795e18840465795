"""The Annuaire Santé import from the cell administration: upload, the worker's run, the progress polled with htmx,
the summary and the CSV of rejected lines; only the cell administrator of the cell reaches it."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django_tasks_db.models import DBTaskResult

from conftest import World
from directory import services
from directory.forms import IMPORT_FILE_KIND, IMPORT_PROFESSION_CHOICES
from directory.models import AnnuaireImport, ImportStatus, Professional
from directory.tests import extracts
from directory.tests.extracts import fake_rpps, line

pytestmark = pytest.mark.django_db

ALL_PROFESSIONS = [value for value, _label in IMPORT_PROFESSION_CHOICES]


def run_worker() -> None:
    """The real `manage.py db_worker`, until the queue holds nothing due (as the notifications' tests run it)."""
    with mock.patch("django_tasks_db.management.commands.db_worker.close_old_connections"):
        call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)


def upload(content: bytes, name: str = "PS_LibreAcces_Personne_activite_202611250900.txt") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def start_url(world: World) -> str:
    return reverse("directory:import_start", kwargs={"cell": world.cell.slug})


def rows() -> list[dict[str, str] | str]:
    return [
        line(fake_rpps(1), "LEBRETON", "JEAN", commune="61006"),
        line(fake_rpps(2), "DUVAL", "MARIE", commune="61214", profession="60", skill=""),
        line("99", "MAL", "NUMEROTE", commune="61181"),  # line 4: rejected
        line(fake_rpps(3), "AILLEURS", "PAUL", commune="14118"),
    ]


def test_the_owner_uploads_the_zip_and_follows_the_import_to_its_report(world: World, tmp_path: Path) -> None:
    client = world.client_for(world.owner)
    page = client.get(start_url(world))
    assert page.status_code == 200
    assert b'enctype="multipart/form-data"' in page.content

    archive = extracts.write_zip(tmp_path, rows()).read_bytes()
    response = client.post(
        start_url(world), {"file": upload(archive, "PS_LibreAcces.zip"), "professions": ALL_PROFESSIONS}
    )
    job = AnnuaireImport.objects.get(cell=world.cell)
    assert response.status_code == 302
    assert response["Location"] == reverse("directory:import_detail", kwargs={"cell": world.cell.slug, "pk": job.pk})
    assert job.status == ImportStatus.QUEUED
    stored = Path(job.file_path)
    assert stored.is_file() and stored.read_bytes() == archive  # on disk for the worker
    assert DBTaskResult.objects.filter(status="READY").count() == 1  # queued with the job

    waiting = client.get(response["Location"])
    assert b'hx-trigger="every 2s"' in waiting.content  # the page polls while the worker has not finished
    assert b"<progress" in waiting.content

    run_worker()

    job.refresh_from_db()
    assert job.status == ImportStatus.DONE
    assert not stored.exists() and job.file_path == ""  # the upload is deleted once imported
    assert set(Professional.objects.filter(cell=world.cell).values_list("rpps", flat=True)) == {
        fake_rpps(1),
        fake_rpps(2),
    }
    fragment = client.get(response["Location"], headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert fragment.templates[0].name == "directory/_import_progress.html"
    body = fragment.content.decode()
    assert "hx-trigger" not in body  # finished: the polling stops
    assert 'data-status="done"' in body
    assert ">99<" in body  # the rejected line's identifier in the table

    report = client.get(reverse("directory:import_report", kwargs={"cell": world.cell.slug, "pk": job.pk}))
    assert report.status_code == 200
    assert report["Content-Type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(report.content.decode("utf-8-sig")), delimiter=";"))
    assert len(table) == 2
    assert table[1][0] == "4" and table[1][2] == "99"


def test_running_the_task_twice_imports_once(world: World, tmp_path: Path) -> None:
    client = world.client_for(world.owner)
    content = extracts.text(rows()).encode()
    client.post(start_url(world), {"file": upload(content), "professions": ALL_PROFESSIONS})
    job = AnnuaireImport.objects.get(cell=world.cell)
    run_worker()
    assert services.annuaire_import_run(job_pk=job.pk) is None  # already claimed and done: nothing happens
    job.refresh_from_db()
    assert job.summary["professionals_created"] == 2


def test_a_file_that_is_not_the_extract_is_refused_on_the_form(world: World) -> None:
    client = world.client_for(world.owner)
    response = client.post(
        start_url(world), {"file": upload(b"nom;prenom\nDupont;Jean\n", "liste.txt"), "professions": ALL_PROFESSIONS}
    )
    assert response.status_code == 200
    errors = response.context["form"].errors["file"]
    assert "Identifiant PP" in errors[0]  # the missing columns are named
    response = client.post(start_url(world), {"file": upload(b"%PDF-1.4", "annuaire.pdf"), "professions": ["10"]})
    assert response.context["form"].errors["file"] == [str(IMPORT_FILE_KIND)]
    assert not AnnuaireImport.objects.exists()
    assert not any(Path(services.settings.AIGUILLAGE_ANNUAIRE_DIR).rglob("*.txt"))  # nothing left on disk


def test_a_file_over_the_size_limit_is_refused(world: World, settings: Any) -> None:
    settings.AIGUILLAGE_ANNUAIRE_MAX_UPLOAD_MB = 0
    client = world.client_for(world.owner)
    response = client.post(
        start_url(world), {"file": upload(extracts.text(rows()).encode()), "professions": ALL_PROFESSIONS}
    )
    assert response.status_code == 200 and response.context["form"].has_error("file", "too_large")
    assert not AnnuaireImport.objects.exists()


def test_one_import_at_a_time_per_cell(world: World) -> None:
    client = world.client_for(world.owner)
    content = extracts.text(rows()).encode()
    client.post(start_url(world), {"file": upload(content), "professions": ["10"]})
    first = AnnuaireImport.objects.get()
    assert first.professions == ["10"]
    detail = client.get(reverse("directory:import_detail", kwargs={"cell": world.cell.slug, "pk": first.pk}))
    assert detail.context["profession_labels"] == [gettext("Doctors")]
    # Not started yet: a new upload replaces it.
    client.post(start_url(world), {"file": upload(content), "professions": ALL_PROFESSIONS})
    first.refresh_from_db()
    assert first.status == ImportStatus.FAILED and first.file_path == ""
    second = AnnuaireImport.objects.get(status=ImportStatus.QUEUED)
    # Running and alive: the next upload is refused.
    AnnuaireImport.objects.filter(pk=second.pk).update(status=ImportStatus.RUNNING, progress_at=timezone.now())
    refused = client.post(start_url(world), {"file": upload(content), "professions": ALL_PROFESSIONS})
    assert refused.status_code == 200 and refused.context["form"].has_error("file", "running")
    # Running but silent for longer than the stale delay: taken as interrupted, the new one starts.
    AnnuaireImport.objects.filter(pk=second.pk).update(progress_at=timezone.now() - timedelta(hours=1))
    accepted = client.post(start_url(world), {"file": upload(content), "professions": ALL_PROFESSIONS})
    assert accepted.status_code == 302
    second.refresh_from_db()
    assert second.status == ImportStatus.FAILED
    assert AnnuaireImport.objects.filter(status=ImportStatus.QUEUED).count() == 1


def test_only_the_cell_administrator_of_the_cell_reaches_the_imports(populated: World) -> None:
    own_job = populated.cell.annuaire_imports.get()
    other_job = populated.other_cell.annuaire_imports.get()
    urls = [
        start_url(populated),
        reverse("directory:import_detail", kwargs={"cell": populated.cell.slug, "pk": own_job.pk}),
        reverse("directory:import_report", kwargs={"cell": populated.cell.slug, "pk": own_job.pk}),
    ]
    owner, colleague, outsider = (
        populated.client_for(u) for u in (populated.owner, populated.colleague, populated.outsider)
    )
    for url in urls:
        assert owner.get(url).status_code == 200
        assert colleague.get(url).status_code == 403  # a coordinator of the cell
        assert outsider.get(url).status_code == 404  # another cell's administrator
        assert Client().get(url).status_code == 302  # anonymous: to the login page
    other_in_own_address = reverse("directory:import_detail", kwargs={"cell": populated.cell.slug, "pk": other_job.pk})
    assert owner.get(other_in_own_address).status_code == 404
    report = reverse("directory:import_report", kwargs={"cell": populated.cell.slug, "pk": other_job.pk})
    assert owner.get(report).status_code == 404


def test_the_professionals_list_offers_the_import_to_the_cell_administrator_only(world: World) -> None:
    url = reverse("directory:professional_list", kwargs={"cell": world.cell.slug})
    assert start_url(world).encode() in world.client_for(world.owner).get(url).content
    assert start_url(world).encode() not in world.client_for(world.colleague).get(url).content
