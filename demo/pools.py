"""A shared pool in the demo (decision 0021): a regional teleconsultant of CPTS Sud Loire Vignoble, with their own
assisted-teleconsultation times in that cell's agenda, offered to CSNP Orne-Est as regional and accepted there, so
that Orne-Est's spot pairs them when its own doctors are taken and both cells' "Shared pools" pages show it. She logs in
(`teleconsultante-regionale`, demo.data) and finds two of Orne-Est's assisted teleconsultations on her next Monday or
Friday afternoon: Orne-Est's regional doctor of that hour is away, so the spot's booking pairs her, through the
booking service, before the extra-territorial doctor."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.utils import timezone

from accounts.models import Membership, Role, User
from agenda import services as agenda
from agenda.models import Absence, AvailabilityPlan, Slot, SlotStatus, TelemedicineSpot
from common.errors import DomainError
from directory import services as directory
from directory.models import AgreementStatus, PoolAgreement, Profession, Professional, TeleconsultantTier
from territory.models import Cell

from .appointments import DemoAppointment, _at, _exists, _request
from .data import VIMOUTIERS

# Out of the loader's numbering (the 1st to about the 80th): the same number on every load.
POOL_RPPS_NUMBER = 900
MONDAY, FRIDAY = 0, 4


# Orne-Est's patients she sees at the Vimoutiers spot (invented), from 16:00: the hour Orne-Est's regional doctor
# (tc-04) is away, when the extra-territorial doctor (tc-07) is also free, so the pairing's tier order shows.
PATIENTS = (
    DemoAppointment("pool-1", "Lemonnier", "Jacqueline", "1943-09-18", VIMOUTIERS, "+33612004091",
                    "Rougeur et chaleur du mollet gauche depuis 2 jours, pas de fièvre.", "skin",
                    "Se déplace avec un déambulateur."),
    DemoAppointment("pool-2", "Bazire", "Anthony", "1991-04-05", VIMOUTIERS, "+33612004092",
                    "Mal de gorge et fièvre à 38,8 depuis hier, déglutition douloureuse.", "fever_infection"),
)  # fmt: skip
POOL_HOUR = time(16, 0)
ABSENCE_REASON = "Formation (démo)"
AWAY_DOCTOR = "tc-04"


def demo_pool_professional(home: Cell, rpps: str) -> Professional:
    """The teleconsultant the home cell shares (made once): before the accounts, one of which is hers."""
    doctor, _made = Professional.objects.get_or_create(
        cell=home,
        rpps=rpps,
        defaults={
            "first_name": "Gwenaëlle",
            "last_name": "Kerbrat",
            "profession": Profession.GP,
            "specialty": "Téléconsultante — pool régional, partagée avec l'Orne-Est",
            "teleconsultant_tier": TeleconsultantTier.LOCAL,
            "is_adherent": True,
            "email": "gwenaelle.kerbrat@example.org",
            "phone": "+33261919900",  # the demo's fictional block (02 61 91 xx xx), past the loader's numbers
        },
    )
    return doctor


def load_demo_pool(home: Cell, to_cell: Cell, rpps: str) -> int:
    """The shared teleconsultant, their plan in their home cell and the accepted agreement; once (idempotent).
    Returns the slots made."""
    doctor = demo_pool_professional(home, rpps)
    created = 0
    if not AvailabilityPlan.objects.filter(cell=home, professional=doctor).exists():
        today = timezone.localdate()
        created = agenda.plan_save(
            cell=home,
            professional=doctor,
            site=None,
            weekdays=[MONDAY, FRIDAY],
            start_time=time(14, 0),
            end_time=time(18, 0),
            minutes=20,
            care_channel="gp",
            modality="assisted_teleconsultation",
            first_day=today,
            last_day=today + timedelta(days=120),
        ).created
    if not PoolAgreement.objects.filter(professional=doctor, cell=to_cell).exists():
        home_admin = _admin(home)
        other_admin = _admin(to_cell)
        agreement = directory.pool_agreement_offer(
            cell=home,
            professional=doctor,
            to_cell=to_cell,
            tier=TeleconsultantTier.REGIONAL,
            starts_on=timezone.localdate(),
            ends_on=None,
            user=home_admin,
        )
        directory.pool_agreement_accept(cell=to_cell, agreement=agreement, user=other_admin)
    assert PoolAgreement.objects.filter(professional=doctor, cell=to_cell, status=AgreementStatus.ACCEPTED).exists()
    return created


def load_demo_pool_bookings(cell: Cell, coordinator: User, professionals: dict[str, Professional]) -> int:
    """Two of the cell's requests booked at its spot on the pool teleconsultant's next Monday or Friday afternoon, by
    the booking service (the request page's call): Orne-Est's regional doctor of that hour is recorded away, so the
    spot's slots pair her time. Made once per such afternoon (stable submission keys carry its date); returns how
    many bookings were made."""
    spot = TelemedicineSpot.objects.filter(cell=cell).select_related("site").first()
    if spot is None or not PoolAgreement.objects.filter(cell=cell, status=AgreementStatus.ACCEPTED).exists():
        return 0
    now = timezone.now()
    day = _next_afternoon(now)
    starts = [_at(day, POOL_HOUR.hour, POOL_HOUR.minute + 20 * index) for index in range(len(PATIENTS))]
    away_from, away_until = starts[0], starts[-1] + timedelta(minutes=20)
    to_book = [(spec, start) for spec, start in zip(PATIENTS, starts, strict=True) if not _exists(cell, spec, day)]
    away = professionals[AWAY_DOCTOR]
    if to_book and not Absence.objects.filter(professional=away, starts_at=away_from, ends_at=away_until).exists():
        agenda.absence_add(cell=cell, professional=away, starts_at=away_from, ends_at=away_until, reason=ABSENCE_REASON)
    made = 0
    for spec, start in to_book:
        spot_slot = Slot.objects.filter(site=spot.site, starts_at=start, status=SlotStatus.OPEN, booked=0).first()
        if spot_slot is None:  # the spot's season is over, or the time was taken in the demo
            continue
        request = _request(cell, spec, professionals["ph-01"], day, now - timedelta(minutes=30))
        try:
            booking = agenda.slot_book(slot=spot_slot, request=request, user=coordinator, now=now)
        except DomainError:  # no teleconsultant free then (her plan's end): the request stays in the queue
            continue
        if spec.note:
            agenda.booking_note_set(booking=booking, user=coordinator, note=spec.note, now=now)
        made += 1
    return made


def _next_afternoon(now: datetime) -> date:
    """The next Monday or Friday whose pool hour is at least an hour away (today's, if it is)."""
    day = timezone.localdate(now)
    while day.weekday() not in (MONDAY, FRIDAY) or _at(day, POOL_HOUR.hour, 0) < now + timedelta(hours=1):
        day += timedelta(days=1)
    return day


def _admin(cell: Cell) -> object:
    membership = (
        Membership.objects.filter(cell=cell, role=Role.CELL_ADMIN).select_related("user").order_by("pk").first()
    )
    assert membership is not None, f"the demo cell {cell.slug} has no administrator"
    return membership.user
