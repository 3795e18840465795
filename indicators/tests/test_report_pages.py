"""The reports pages: a report asked for on the page, built by the worker (the real `db_worker`), its progress polled
with htmx, then downloaded; the same report asked twice is one job; a failure shown; bad input refused field by
field with a 400; only the cell administrator of the cell reaches them; the list read in a bounded number of
queries."""

from __future__ import annotations

from datetime import date
from typing import Any
from unittest import mock

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from accounts.models import Membership, Role
from common.exports import XLSX_CONTENT_TYPE
from conftest import World
from indicators.models import ReportJob, ReportKind
from indicators.periods import month_period
from indicators.report_jobs import report_job_request, report_job_run
from indicators.report_views import MONTH_FORMAT, MONTH_REQUIRED, YEAR_RANGE
from tests.factories import MembershipFactory, ProfessionalFactory, UserFactory
from tests.worker import work

pytestmark = pytest.mark.django_db

NOVEMBER = {"kind": ReportKind.MONTHLY_PDF, "month": "2026-11", "year": ""}
NOVEMBER_PERIOD = month_period(date(2026, 11, 1))


def reports_url(world: World) -> str:
    return reverse("indicators:reports", kwargs={"cell": world.cell.slug})


def job_url(job: ReportJob, name: str = "indicators:report_job", cell: Any = None) -> str:
    return reverse(name, kwargs={"cell": (cell or job.cell).slug, "pk": job.pk})


def test_the_administrator_asks_for_the_monthly_report_and_downloads_it_once_built(world: World) -> None:
    client = world.client_for(world.owner)
    page = client.get(reports_url(world))
    assert page.status_code == 200
    assert page.context["form"].initial["year"] == timezone.localdate().year - 1  # the last complete ACI year

    asked = client.post(reports_url(world), NOVEMBER)
    job = ReportJob.objects.get()
    assert asked.status_code == 302 and asked["Location"] == job_url(job)
    assert (job.status, job.kind, job.first, job.last) == (
        "queued",
        "monthly_pdf",
        date(2026, 11, 1),
        date(2026, 11, 30),
    )
    assert job.asked_by == world.owner
    assert DBTaskResult.objects.filter(status="READY").count() == 1  # queued with the job
    waiting = client.get(job_url(job))
    assert b'hx-trigger="every 1s"' in waiting.content and b"<progress" in waiting.content
    assert client.get(job_url(job, "indicators:report_job_download")).status_code == 404  # nothing to download yet

    work()
    job.refresh_from_db()
    assert (job.status, job.progress, job.error) == ("ready", 100, "")
    assert bytes(job.content).startswith(b"%PDF") and job.size == len(bytes(job.content))
    fragment = client.get(job_url(job), headers={"HX-Request": "true", "X-Aiguillage-Refresh": "1"})
    assert b"every 1s" not in fragment.content  # the polling stops
    assert job_url(job, "indicators:report_job_download").encode() in fragment.content
    download = client.get(job_url(job, "indicators:report_job_download"))
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"] == 'attachment; filename="aiguillage-test-orne-rapport-2026-11.pdf"'
    assert download.content == bytes(job.content)


def test_the_same_report_asked_twice_while_waiting_is_built_once(world: World) -> None:
    client = world.client_for(world.owner)
    first = client.post(reports_url(world), NOVEMBER)
    again = client.post(reports_url(world), NOVEMBER)
    assert first["Location"] == again["Location"]
    assert ReportJob.objects.count() == 1 and DBTaskResult.objects.count() == 1
    other = report_job_request(cell=world.cell, user=world.owner, kind=ReportKind.MONTHLY_PDF, period=NOVEMBER_PERIOD)
    assert other.pk == ReportJob.objects.get().pk
    work()
    # Once built, asking again builds it again (the activity may have been completed since).
    assert client.post(reports_url(world), NOVEMBER)["Location"] != first["Location"]
    assert ReportJob.objects.count() == 2


def test_a_failed_report_shows_its_message_and_offers_no_download(world: World) -> None:
    client = world.client_for(world.owner)
    client.post(reports_url(world), NOVEMBER)
    with mock.patch("indicators.report.render_pdf", side_effect=RuntimeError("boom")):
        work()
    job = ReportJob.objects.get()
    assert job.status == "failed"
    page = client.get(job_url(job))
    assert page.context["job"].error in page.content.decode().replace("&#x27;", "'")
    assert b"/fichier" not in page.content
    assert client.get(job_url(job, "indicators:report_job_download")).status_code == 404


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"kind": "aci_pdf", "year": "1999"}, "year", YEAR_RANGE),
        ({"kind": "aci_xlsx", "year": "2100"}, "year", YEAR_RANGE),
        ({"kind": "aci_pdf", "year": "l'an dernier"}, "year", YEAR_RANGE),
        ({"kind": "monthly_pdf", "month": "novembre"}, "month", MONTH_FORMAT),
        ({"kind": "monthly_pdf", "month": "2026-13"}, "month", MONTH_FORMAT),
        ({"kind": "monthly_pdf", "month": "1999-12"}, "month", MONTH_FORMAT),
        ({"kind": "monthly_pdf", "month": ""}, "month", MONTH_REQUIRED),
        ({"kind": "weekly", "year": "2025"}, "kind", None),
    ],
)
def test_bad_input_is_a_field_error_and_a_400(world: World, body: dict[str, str], field: str, message: Any) -> None:
    response = world.client_for(world.owner).post(reports_url(world), body)
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert list(errors) == [field]
    if message is not None:
        assert errors[field] == [str(message)]
    assert not ReportJob.objects.exists()


def test_only_the_cell_administrator_of_the_cell_reaches_a_report(world: World) -> None:
    job = report_job_request(cell=world.cell, user=world.owner, kind=ReportKind.MONTHLY_PDF, period=NOVEMBER_PERIOD)
    report_job_run(job_pk=job.pk)
    pharmacist = ProfessionalFactory(cell=world.cell, profession="pharmacist")
    requester = MembershipFactory(
        user=UserFactory(username="rachid"), cell=world.cell, role=Role.REQUESTER, requester_type="pharmacist",
        professional=pharmacist,
    ).user  # fmt: skip
    for user in (world.colleague, requester):  # a coordinator, a requester: no INDICATORS_FULL
        client = world.client_for(user)
        for address in (reports_url(world), job_url(job), job_url(job, "indicators:report_job_download")):
            assert client.get(address).status_code == 403, (user.username, address)
        assert client.post(reports_url(world), NOVEMBER).status_code == 403
    outsider = world.client_for(world.outsider)  # the other cell's administrator
    for name in ("indicators:report_job", "indicators:report_job_download"):
        assert outsider.get(job_url(job, name, cell=world.other_cell)).status_code == 404  # not in their cell
        assert outsider.get(job_url(job, name)).status_code == 404  # not a cell of theirs
    assert Client().get(job_url(job, "indicators:report_job_download")).status_code == 302  # to the login page
    assert ReportJob.objects.count() == 1


def test_the_recent_reports_are_listed_in_a_bounded_number_of_queries(
    world: World, django_assert_max_num_queries: Any
) -> None:
    for month in range(1, 13):
        period = month_period(date(2025, month, 1))
        membership: Membership = MembershipFactory(
            user__username=f"admin-{month}", cell=world.cell, role=Role.CELL_ADMIN
        )
        asker = membership.user
        ReportJob.objects.create(
            cell=world.cell, kind=ReportKind.MONTHLY_PDF, first=period.first, last=period.last, asked_by=asker,
            asked_at=timezone.now(), status="ready", content=b"x" * 100_000, size=100_000,
        )  # fmt: skip
    client = world.client_for(world.owner)
    with django_assert_max_num_queries(12) as queries:
        page = client.get(reports_url(world))
    assert page.status_code == 200 and page.content.count(b"/fichier") == 12
    listed = next(q["sql"] for q in queries.captured_queries if "indicators_reportjob" in q["sql"])
    assert '"content"' not in listed  # the files are not read to list them


@pytest.mark.parametrize(
    ("kind", "filename", "content_type", "magic"),
    [
        ("aci_pdf", "aiguillage-test-orne-rapport-aci-2025.pdf", "application/pdf", b"%PDF"),
        ("aci_xlsx", "aiguillage-test-orne-rapport-aci-2025.xlsx", XLSX_CONTENT_TYPE, b"PK"),
    ],
)
def test_the_yearly_aci_report_is_built_for_the_year_asked(
    world: World, kind: str, filename: str, content_type: str, magic: bytes
) -> None:
    client = world.client_for(world.owner)
    asked = client.post(reports_url(world), {"kind": kind, "year": "2025", "month": "2026-11"})
    job = ReportJob.objects.get()
    assert asked["Location"] == job_url(job) and (job.first, job.last) == (date(2025, 1, 1), date(2025, 12, 31))
    work()
    download = client.get(job_url(job, "indicators:report_job_download"))
    assert download.status_code == 200 and download["Content-Type"] == content_type
    assert download["Content-Disposition"] == f'attachment; filename="{filename}"'
    assert download.content.startswith(magic)
