"""Today's appointments in the demo, so that each effector's page shows a working day: Dr Martin's patients (one
seen this morning and still to record, two to come) and an assisted teleconsultation at the spot, with its IDEL and
its teleconsultant. Invented patients; made once a day (stable submission keys carry the date)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from accounts.models import User
from agenda.models import Slot, SlotStatus, TelemedicineSpot
from agenda.services import booking_note_set, slot_book
from common.errors import DomainError
from directory.models import Professional
from referrals import services
from referrals.models import Channel, Request
from territory.models import Cell, Commune

from .data import GACE, VIMOUTIERS


@dataclass(frozen=True)
class DemoAppointment:
    key: str
    last_name: str
    first_name: str
    born: str
    commune: str
    phone: str
    reason: str
    reason_category: str
    note: str = ""


MARTIN = (
    DemoAppointment("matin", "Fourcroy", "Gaëlle", "1984-05-12", GACE, "+33611223344",
                    "Otalgie droite depuis hier soir, fièvre à 38,5.", "fever_infection",
                    "Vient avec son fils de 4 ans."),
    DemoAppointment("apres-midi", "Belkacem-Laurent", "Inès-Marguerite", "1939-11-02", GACE, "+33622334455",
                    "Toux productive depuis 5 jours, essoufflement à l'effort.", "respiratory",
                    "Malentendante : parler face à elle ; sa fille l'accompagne."),
    DemoAppointment("soir", "Duvivier", "Marcel", "1957-02-20", GACE, "+33633445566",
                    "Douleur lombaire aiguë après un effort, sans irradiation.", "pain"),
)  # fmt: skip
SPOT = DemoAppointment("spot", "Lehoux", "Yvette", "1948-07-30", VIMOUTIERS, "+33644556677",
                       "Brûlures mictionnelles depuis 2 jours, pas de fièvre.", "urinary")  # fmt: skip


def load_demo_appointments(cell: Cell, coordinator: User, professionals: dict[str, Professional]) -> int:
    """Book today's demo appointments missing from the cell; returns how many were made."""
    now = timezone.now()
    today = timezone.localdate()
    made = 0
    martin = professionals["gp-01"]
    site = martin.sites.first()
    requester = professionals["ph-01"]
    # Office hours whatever the time of loading: this morning's patient (yesterday evening's before 10:00) waits for
    # what happened; two come this afternoon (tomorrow's after 15:00).
    local = timezone.localtime(now)
    past = _at(today, 9, 0) if local.hour >= 10 else _at(today - timedelta(days=1), 17, 0)
    later = today if local.hour < 15 else today + timedelta(days=1)
    times = [past, _at(later, 16, 0), _at(later, 16, 40)]
    for spec, start in zip(MARTIN, times, strict=True):
        if _exists(cell, spec, today):
            continue
        slot = Slot.objects.create(
            cell=cell,
            professional=martin,
            site=site,
            starts_at=start,
            ends_at=start + timedelta(minutes=20),
            care_channel="gp",
            modality="in_person",
        )
        booked_at = min(now, start - timedelta(hours=2))
        request = _request(cell, spec, requester, today, booked_at - timedelta(hours=1))
        booking = slot_book(slot=slot, request=request, user=coordinator, now=booked_at)
        if spec.note:
            booking_note_set(booking=booking, user=coordinator, note=spec.note, now=booked_at)
        made += 1
    spot = TelemedicineSpot.objects.filter(cell=cell).select_related("site").first()
    if spot is not None and not _exists(cell, SPOT, today):
        free = (
            Slot.objects.filter(site=spot.site, status=SlotStatus.OPEN, starts_at__gt=now, booked=0)
            .order_by("starts_at")
            .first()
        )
        if free is not None:
            request = _request(cell, SPOT, requester, today, now - timedelta(hours=1))
            try:
                booking = slot_book(slot=free, request=request, user=coordinator, now=now)
            except DomainError:  # no teleconsultant free then: the request stays in the queue
                return made
            booking_note_set(booking=booking, user=coordinator, note="Apporter l'ordonnance en cours.", now=now)
            made += 1
    return made


def _at(day: date, hour: int, minute: int) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def _key(spec: DemoAppointment, day: date) -> str:
    return f"demo-rdv-{day:%Y-%m-%d}-{spec.key}"


def _exists(cell: Cell, spec: DemoAppointment, day: date) -> bool:
    stored = services.stored_submission_key(None, _key(spec, day))
    return Request.objects.filter(cell=cell, submission_key=stored).exists()


def _request(cell: Cell, spec: DemoAppointment, requester: Professional, day: date, at: datetime) -> Request:
    return services.request_create(
        cell=cell,
        channel=Channel.PHONE,
        patient=services.PatientData(
            last_name=spec.last_name,
            first_name=spec.first_name,
            commune=Commune.objects.get(insee_code=spec.commune),
            birth_date=datetime.strptime(spec.born, "%Y-%m-%d").date(),
            phone=spec.phone,
            mt_situation="mt_unavailable",
            mt_name="Hélène Roussel",
        ),
        need=services.NeedData(
            reason=spec.reason,
            reason_category=spec.reason_category,
            care_channel="gp",
            urgency="24h",
            elsewhere="er",
        ),
        submitted_by=None,
        requester_professional=requester,
        submission_key=_key(spec, day),
        now=at,
    )
