"""Reading the access log: always one cell's rows, searched by patient, user, action and period."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Q, QuerySet

from audit.models import AccessEvent
from common.text import normalize
from referrals.models import Request
from territory.models import Cell

PARIS = ZoneInfo("Europe/Paris")
MAX_PATIENT_MATCHES = 200


@dataclass(frozen=True)
class LogSearch:
    patient: str = ""
    user: str = ""
    action: str = ""
    first_day: date | None = None
    last_day: date | None = None


def patients_matching(cell: Cell, text: str) -> list[Request]:
    """Requests of the cell whose reference is `text`, or whose patient's name contains it (accents and case aside)."""
    text = text.strip()
    if not text:
        return []
    wanted = normalize(text)
    found = Request.objects.filter(cell=cell).filter(
        Q(reference__iexact=text) | Q(patient_search_name__contains=wanted)
    )
    return list(found.only("pk", "reference", "patient_first_name", "patient_last_name")[:MAX_PATIENT_MATCHES])


def log_rows(cell: Cell, search: LogSearch, *, patients: list[Request] | None = None) -> QuerySet[AccessEvent]:
    rows = AccessEvent.objects.filter(cell_id=cell.pk)
    if search.patient:
        ids = [each.pk for each in (patients if patients is not None else patients_matching(cell, search.patient))]
        if not ids:
            return rows.none()
        by_patient = Q()
        for pk in ids:
            by_patient |= Q(subjects__contains=f",{pk},")
        rows = rows.filter(by_patient)
    if search.user:
        rows = rows.filter(actor__icontains=search.user.strip())
    if search.action:
        rows = rows.filter(action=search.action)
    if search.first_day:
        rows = rows.filter(at__gte=datetime.combine(search.first_day, time.min, tzinfo=PARIS))
    if search.last_day:
        rows = rows.filter(at__lt=datetime.combine(search.last_day + timedelta(days=1), time.min, tzinfo=PARIS))
    return rows.order_by("-id")


def references_of(rows: list[AccessEvent]) -> dict[int, str]:
    """The references of the requests named by these rows (one query)."""
    ids = {pk for row in rows for pk in row.subject_ids}
    return dict(Request.objects.filter(pk__in=ids).values_list("pk", "reference"))
