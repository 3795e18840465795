"""Reads of the agenda, within one cell."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from django.db.models import F, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.care import Modality
from common.errors import DomainError
from directory.models import Professional
from referrals.models import Request
from territory.models import Cell

from .models import (
    AUDIENCE_FLAG,
    SLOT_MAX_LENGTH,
    Absence,
    AvailabilityPlan,
    Booking,
    BookingStatus,
    InPool,
    InSubquery,
    MedicobusTour,
    Slot,
    SlotStatus,
    TelemedicineSpot,
    books_directly,
    named,
    seen_by,
    teleconsultant_tier_label,
)


def slot_for(cell: Cell, pk: int) -> Slot:
    slot = Slot.objects.filter(cell=cell, pk=pk).first()
    if slot is None:
        raise Http404
    return slot


def slot_to_book(cell: Cell, pk: int) -> Slot:
    """A slot the cell's coordinators may try to book or move to: its own, or one of its pool's professionals'
    (decision 0021; whether an agreement covers the slot's day is the booking's check, with its message)."""
    slot = Slot.objects.filter(Q(cell=cell) | Q(InPool(cell.pk)), pk=pk).first()
    if slot is None:
        raise Http404
    return slot


def booking_for(cell: Cell, pk: int) -> Booking:
    booking = (
        Booking.objects.select_related(
            "request", "slot__site__commune", "slot__commune", "slot__professional", "paired_slot"
        )
        .filter(request__cell=cell, pk=pk)
        .first()
    )
    if booking is None:
        raise Http404
    return booking


def active_booking(request: Request) -> Booking | None:
    """The request's next appointment (of a series, the soonest session still booked)."""
    return (
        Booking.objects.select_related(
            "slot__site__commune", "slot__commune", "slot__professional", "paired_slot__professional"
        )
        .filter(request=request, status=BookingStatus.BOOKED)
        .order_by("slot__starts_at", "pk")
        .first()
    )


@dataclass(frozen=True)
class Session:
    """One session of a request's series: its appointment (booked or recorded), or none yet."""

    number: int
    booking: Booking | None


def series_of(request: Request) -> list[Session]:
    """The request's sessions in order, each with its appointment not cancelled, in one query."""
    held = {
        booking.session: booking
        for booking in Booking.objects.filter(request=request)
        .exclude(status=BookingStatus.CANCELLED)
        .select_related("slot__site__commune", "slot__commune", "slot__professional")
    }
    return [Session(number, held.get(number)) for number in range(1, request.sessions + 1)]


def upcoming_slots(cell: Cell, now: datetime, professional_id: int | None = None) -> list[Slot]:
    slots = Slot.objects.filter(cell=cell, starts_at__gt=now - timedelta(hours=12)).select_related(
        "site", "professional"
    )
    if professional_id is not None:
        slots = slots.filter(professional=professional_id)
    return list(slots.order_by("starts_at")[:300])


def slots_open_to(
    cell: Cell,
    requester_type: str,
    now: datetime,
    limit: int = 40,
    wanted: int | None = None,
    *,
    professional_id: int | None = None,
    site_id: int | None = None,
) -> list[Slot]:
    """Free future slots a requester of this type, linked to this professional or site, may book directly (open to
    their kind, or naming them), soonest first; the `wanted` one (a link to a slot, from the SAS platform) first of
    all when it is one of them, however far ahead.

    Two short reads rather than one with an OR: the slots open to the kind, from that kind's partial index in start
    order (a LIMIT stops it after `limit` rows), and the slots naming the requester, from the named lists' indexes;
    merged here. One query (two when the requester may be named, one more for a `wanted` slot beyond the first ones).
    With `open_to_X OR <named>` in one WHERE, no index fits, and PostgreSQL read every future slot of the region in
    start order to find the few (or none)."""
    if not books_directly(requester_type) and professional_id is None and site_id is None:
        return []
    bookable = Slot.objects.filter(cell=cell).free(now).bookable().select_related("site", "professional", "commune")
    flag = AUDIENCE_FLAG.get(requester_type)
    found: dict[int, Slot] = {}
    if flag is not None:
        found.update((slot.pk, slot) for slot in bookable.filter(**{flag: True}).order_by("starts_at", "pk")[:limit])
    if professional_id is not None or site_id is not None:
        naming = bookable.filter(named(professional_id, site_id)).order_by("starts_at", "pk")
        found.update((slot.pk, slot) for slot in naming[:limit])
    soonest = sorted(found.values(), key=lambda slot: (slot.starts_at, slot.pk))[:limit]
    if wanted is not None and all(slot.pk != wanted for slot in soonest):
        extra = bookable.filter(pk=wanted).open_to(requester_type, professional_id=professional_id, site_id=site_id)
        soonest = list(extra) + soonest
    return soonest


def plans_for(cell: Cell, professional_id: int | None = None) -> list[AvailabilityPlan]:
    """The cell's plans (an effector's own only), running ones first, with the lists they are open to by name."""
    plans = (
        AvailabilityPlan.objects.filter(cell=cell)
        .select_related("professional", "site")
        .prefetch_related("open_to_professionals", "open_to_sites")
    )
    if professional_id is not None:
        plans = plans.filter(professional=professional_id)
    return list(plans.order_by("-is_active", "-last_day", "pk"))


def plan_for(cell: Cell, pk: int, professional_id: int | None = None) -> AvailabilityPlan:
    plans = AvailabilityPlan.objects.filter(cell=cell, pk=pk)
    if professional_id is not None:
        plans = plans.filter(professional=professional_id)
    plan = plans.first()
    if plan is None:
        raise Http404
    return plan


def absences_for(cell: Cell, now: datetime, professional_id: int | None = None) -> list[Absence]:
    """Absences that have not ended yet (an effector's own only)."""
    absences = Absence.objects.filter(cell=cell, ends_at__gt=now).select_related("professional", "site")
    if professional_id is not None:
        absences = absences.filter(professional=professional_id)
    return list(absences.order_by("starts_at"))


def direct_booking_choices(
    cell: Cell,
    requester_type: str,
    now: datetime,
    wanted: int | None = None,
    *,
    professional_id: int | None = None,
    site_id: int | None = None,
) -> list[tuple[str, str]]:
    """The slots a requester of this type (linked to this professional or site) may book with their request, as
    (pk, label) choices: when, where, who, and what care."""
    choices = []
    for slot in slots_open_to(
        cell, requester_type, now, wanted=wanted, professional_id=professional_id, site_id=site_id
    ):
        care = slot.get_care_channel_display()
        if slot.exam_type:
            care = f"{care} — {slot.get_exam_type_display()}"
        choices.append((str(slot.pk), f"{slot_label(slot)} ({care})"))
    return choices


CALENDAR_MAX_EVENTS = 2000


def calendar_slots(
    cell: Cell,
    start: datetime,
    end: datetime,
    *,
    professional_id: int | None = None,
    site_id: int | None = None,
    care_channel: str = "",
    effector_id: int | None = None,
) -> list[Slot]:
    """Slots offered between two instants (withdrawn ones left out), with their active or past bookings and each
    booking's request (a teleconsultant's time: the bookings it is paired with), and the professionals and sites
    each is open to by name, in six queries. `effector_id`: an effector's own agenda — their slots, their spots'
    times (an IDEL), their tour's stops (the bus assistant).

    The cell's agenda also shows the times of its pool (decision 0021) where its patients are: a pool professional's
    slot it booked, a pool teleconsultant's time paired with its spot's booking; and, when one pool professional is
    chosen, all their times the cell may book (`seen_by`)."""
    slots = Slot.objects.filter(status=SlotStatus.OPEN, starts_at__lt=end, ends_at__gt=start)
    if effector_id is None:
        ours = Booking.objects.filter(
            request__cell=cell, slot__starts_at__lt=end + SLOT_MAX_LENGTH, slot__ends_at__gt=start - SLOT_MAX_LENGTH
        ).exclude(status=BookingStatus.CANCELLED)
        # Each an index condition on PostgreSQL (InSubquery), so that the OR reads the cell's index and two short
        # lists of primary keys, not every cell's slots of the weeks shown.
        shown = (
            Q(cell=cell)
            | Q(InSubquery(F("pk"), ours.values("slot")))
            | Q(InSubquery(F("pk"), ours.values("paired_slot")))
        )
        slots = slots.filter(shown | seen_by(cell.pk) if professional_id is not None else shown)
    else:
        slots = slots.filter(cell=cell)
    if professional_id is not None:
        slots = slots.filter(professional=professional_id)
    if effector_id is not None:
        spot_sites = TelemedicineSpot.objects.filter(cell=cell, nurses=effector_id).values("site")
        slots = slots.filter(
            Q(professional=effector_id)
            | Q(site__in=spot_sites, modality=Modality.ASSISTED_TELECONSULTATION)
            | Q(plan__tour__assistant=effector_id)
        )
    if site_id is not None:
        slots = slots.filter(site=site_id)
    if care_channel:
        slots = slots.filter(care_channel=care_channel)
    bookings = Booking.objects.exclude(status=BookingStatus.CANCELLED).select_related("request__cell", "slot__site")
    return list(
        slots.select_related("site", "professional", "commune", "cell")
        .prefetch_related(
            Prefetch("bookings", queryset=bookings, to_attr="kept_bookings"),
            Prefetch("paired_bookings", queryset=bookings, to_attr="kept_paired"),
            "open_to_professionals",
            "open_to_sites",
        )
        .order_by("starts_at")[:CALENDAR_MAX_EVENTS]
    )


class AppointmentRole(StrEnum):
    """How an effector takes part in an appointment: the slot is theirs, they are the paired teleconsultant, they are
    an IDEL of the spot where it happens, or the Médicobus tour's assistant."""

    EFFECTOR = "effector"
    TELECONSULTANT = "teleconsultant"
    SPOT_NURSE = "spot_nurse"
    BUS_ASSISTANT = "bus_assistant"


@dataclass(frozen=True)
class Appointment:
    booking: Booking
    role: AppointmentRole

    @property
    def request(self) -> Request:
        return self.booking.request

    @property
    def slot(self) -> Slot:
        return self.booking.slot

    @property
    def age(self) -> int | None:
        """The patient's age in years on the day of the appointment."""
        born = self.booking.request.patient_birth_date
        if born is None:
            return None
        day = timezone.localtime(self.booking.slot.starts_at).date()
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))

    @property
    def cell_name(self) -> str:
        """The name of the cell that booked it (a pool professional works for several: decision 0021)."""
        return self.booking.request.cell.name

    @property
    def is_home_visit(self) -> bool:
        return self.booking.slot.modality == Modality.HOME_VISIT

    @property
    def spot(self) -> TelemedicineSpot | None:
        site = self.booking.slot.site
        return getattr(site, "spot", None) if site is not None and self.booking.slot.is_spot_time else None

    @property
    def may_record_outcome(self) -> bool:
        return self.booking.status == BookingStatus.BOOKED and self.booking.slot.starts_at <= timezone.now()

    @property
    def may_debrief(self) -> bool:
        return (
            self.role == AppointmentRole.SPOT_NURSE
            and self.booking.status != BookingStatus.CANCELLED
            and getattr(self.booking, "debrief", None) is None  # the reverse one-to-one's "none" is an AttributeError
            and self.booking.slot.starts_at <= timezone.now()
        )


def _appointments(cell: Cell, professional: Professional) -> QuerySet[Booking]:
    """The professional's appointments: on their own slots and teleconsultant times whichever cell booked them (a
    pool professional's, decision 0021: another cell's spot pairs them, another cell books them), and at the cell's
    spots and tours they assist at. Each with its request's cell, for the page to name it."""
    spot_sites = TelemedicineSpot.objects.filter(cell=cell, nurses=professional).values("site")
    return (
        Booking.objects.filter(
            Q(slot__professional=professional)
            | Q(paired_slot__professional=professional)
            | Q(slot__cell=cell, slot__site__in=spot_sites, slot__modality=Modality.ASSISTED_TELECONSULTATION)
            | Q(slot__cell=cell, slot__plan__tour__assistant=professional)
        )
        .select_related(
            "request__cell",
            "request__requester_professional",
            "request__requester_site",
            "request__patient_commune",
            "slot__site__commune",
            "slot__site__spot",
            "slot__commune",
            "slot__professional",
            "paired_slot__professional",
            "debrief__by",
            "outcome_by",
        )
        .prefetch_related("slot__site__spot__nurses")
    )


def _role(booking: Booking, professional: Professional) -> AppointmentRole:
    if booking.slot.professional_id == professional.pk:
        return AppointmentRole.EFFECTOR
    if booking.paired_slot is not None and booking.paired_slot.professional_id == professional.pk:
        return AppointmentRole.TELECONSULTANT
    spot = getattr(booking.slot.site, "spot", None) if booking.slot.site is not None else None
    if spot is not None and professional in spot.nurses.all():
        return AppointmentRole.SPOT_NURSE
    return AppointmentRole.BUS_ASSISTANT


APPOINTMENTS_MAX = 200


def appointments_of(cell: Cell, professional: Professional, start: datetime, end: datetime) -> list[Appointment]:
    """An effector's appointments starting between two instants, cancelled ones included (they should know), with
    everything their card shows, in a fixed number of queries."""
    bookings = _appointments(cell, professional).filter(slot__starts_at__gte=start, slot__starts_at__lt=end)
    ordered = bookings.order_by("slot__starts_at", "pk")[:APPOINTMENTS_MAX]
    return [Appointment(booking, _role(booking, professional)) for booking in ordered]


def appointments_to_record(cell: Cell, professional: Professional, now: datetime) -> list[Appointment]:
    """Appointments of the last fortnight that have started and still have no outcome (seen / no-show)."""
    bookings = _appointments(cell, professional).filter(
        status=BookingStatus.BOOKED, slot__starts_at__lte=now, slot__starts_at__gte=now - timedelta(days=14)
    )
    return [Appointment(booking, _role(booking, professional)) for booking in bookings.order_by("slot__starts_at")]


def appointment_of(cell: Cell, professional: Professional, pk: int) -> Appointment:
    """One of the effector's own appointments, or 404 (another effector's, or another cell's, is not revealed)."""
    booking = _appointments(cell, professional).filter(pk=pk).first()
    if booking is None:
        raise Http404
    return Appointment(booking, _role(booking, professional))


def tours_of(cell: Cell) -> QuerySet[MedicobusTour]:
    """The cell's Médicobus tours with their doctor, assistant, site and stops; the running ones first."""
    return (
        MedicobusTour.objects.filter(cell=cell)
        .select_related("doctor", "assistant", "site")
        .prefetch_related("stops__commune")
        .order_by("-is_active", "name")
    )


def tour_for(cell: Cell, pk: int) -> MedicobusTour:
    tour = MedicobusTour.objects.filter(cell=cell, pk=pk).first()
    if tour is None:
        raise Http404
    return tour


def tour_stop_rows(tour: MedicobusTour) -> list[dict[str, object]]:
    """A tour's running stops, as the rows of its form: the day, where, the hours and how many patients."""
    return [
        {
            "weekday": plan.weekdays[0],
            "commune": plan.commune,
            "place": plan.place,
            "start_time": plan.start_time,
            "end_time": plan.end_time,
            "capacity": plan.capacity,
        }
        for plan in AvailabilityPlan.objects.filter(tour=tour, is_active=True).select_related("commune")
    ]


def spots_of(cell: Cell) -> QuerySet[TelemedicineSpot]:
    """The cell's telemedicine spots with their site, plan and nurses, by site."""
    return (
        TelemedicineSpot.objects.filter(cell=cell)
        .select_related("site", "plan")
        .prefetch_related("nurses")
        .order_by("site__name")
    )


def spot_for(cell: Cell, pk: int) -> TelemedicineSpot:
    spot = TelemedicineSpot.objects.select_related("plan", "site").filter(cell=cell, pk=pk).first()
    if spot is None:
        raise Http404
    return spot


TELECONSULTATION_WITH = _("teleconsultation with %(doctor)s")
OPEN_TO_NAMED = _("Open to: %(names)s")


def named_label(audience: Slot | AvailabilityPlan) -> str:
    """The professionals and sites a slot or plan is open to by name, as "Open to: Jeanne MARTIN, Pharmacie du
    Centre" (read from prefetched lists when there are: `calendar_slots`, `plans_for`), or "" when none."""
    names = audience.named_names
    return str(OPEN_TO_NAMED % {"names": ", ".join(names)}) if names else ""


LINK_NOT_VALID = _("This link is not valid (any more).")


def slot_label(slot: Slot, paired: Slot | None = None, cell_id: int | None = None) -> str:
    """When, where, who; and the teleconsultant paired with a spot's time, with their tier for the booking cell
    (`cell_id`, the request's; the slot's cell when not given), the cell the pairing ranked them for."""
    local = timezone.localtime(slot.starts_at)
    if slot.commune_id is not None:
        where = f"{slot.get_modality_display()}, {slot.place} ({slot.commune})" if slot.place else str(slot.commune)
    else:
        where = slot.site.name if slot.site else str(slot.get_modality_display())
    who = f" — {slot.professional}" if slot.professional else ""
    if paired is not None and paired.professional is not None:
        tier = teleconsultant_tier_label(paired, slot.cell_id if cell_id is None else cell_id)
        who += " — " + str(TELECONSULTATION_WITH % {"doctor": paired.professional}) + (f" ({tier})" if tier else "")
    return f"{local:%d/%m/%Y %H:%M}, {where}{who}"


def teleconsultants_for(spot_slot: Slot, now: datetime, cell_id: int | None = None) -> QuerySet[Slot]:
    """Free teleconsultant times covering the spot's slot, in tier order: the territory's volunteers, then the
    regional pool, then extra-territorial doctors; the earliest first within a tier. The booking cell's own doctors
    and its pool's (decision 0021), each with their tier for that cell: `cell_id`, the request's cell (the spot's
    cell when not given), as the finder and the placement assistant rank them, even for a pool IDEL's spot time in
    another cell."""
    cell = spot_slot.cell_id if cell_id is None else cell_id
    return (
        Slot.objects.teleconsultant_times()
        .seen_by(cell)
        .filter(care_channel=spot_slot.care_channel)
        .covering(spot_slot.starts_at, spot_slot.ends_at)
        .in_tier_order(cell)
        .select_related("professional")
    )


def booking_by_cancel_token(token: str) -> Booking:
    """The booking behind a patient's cancel link, or a refusal that says nothing about why."""
    booking = (
        Booking.objects.select_related("slot__site__commune", "slot__commune", "request__cell")
        .filter(cancel_token=token, status=BookingStatus.BOOKED)
        .first()
        if token
        else None
    )
    if booking is None:
        raise DomainError(LINK_NOT_VALID, code="not_valid")
    return booking


def booking_of_patient_link(token: str) -> Booking | None:
    """The booking a patient's link was made for, whatever became of it (None for an unknown link): an appointment
    already cancelled says so rather than "not valid"."""
    if not token:
        return None
    return (
        Booking.objects.select_related("slot__site__commune", "slot__commune", "request__cell")
        .filter(cancel_token=token)
        .first()
    )
