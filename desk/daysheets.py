"""Day sheets: what the field prints for a day — a Médicobus tour's stops, a telemedicine spot's session, a site's
SNP hours, an effector's day — the patients with their time, phone, reason, the cell's note and what the effector
needs to know (requester, age, care). Reads only, within one cell; an effector reaches only the sheets they take
part in (their own day, their tour's stops, their spot's session), anything else is not found.

Each sheet is two queries whatever the number of patients: its subject, then the day's bookings with all they show.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

from django.db.models import Model, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agenda.models import Booking, BookingStatus, MedicobusTour, Slot, TelemedicineSpot
from common.care import Modality
from directory.models import Professional, Site
from territory.models import Cell


class SheetKind(StrEnum):
    """What a day sheet is of; the value is the address's word."""

    TOUR = "medicobus"
    SPOT = "spot"
    SITE = "lieu"
    PROFESSIONAL = "professionnel"


SHEET_TITLES = {
    SheetKind.TOUR: _("Médicobus day sheet"),
    SheetKind.SPOT: _("Telemedicine spot day sheet"),
    SheetKind.SITE: _("SNP hours day sheet"),
    SheetKind.PROFESSIONAL: _("Effector's day sheet"),
}


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """Midnight to midnight in Paris (a day of 23 or 25 hours at the clock changes), as aware instants."""
    return (
        timezone.make_aware(datetime.combine(day, time.min)),
        timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min)),
    )


def _age(born: date | None, day: date) -> int | None:
    if born is None:
        return None
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


@dataclass(frozen=True)
class SheetLine:
    """One patient of the sheet: the booking with its request and slot read along."""

    booking: Booking
    day: date
    cell_id: int = 0  # the sheet's cell

    @property
    def booked_by_other_cell(self) -> str:
        """The name of the cell that booked this time of the cell's shared professional (decision 0021), printed
        instead of its patient; "" for the cell's own patients."""
        if self.booking.request.cell_id == self.cell_id:
            return ""
        return str(self.booking.request.cell.name)

    @property
    def request(self) -> Any:
        return self.booking.request

    @property
    def slot(self) -> Any:
        return self.booking.slot

    @property
    def age(self) -> int | None:
        return _age(self.booking.request.patient_birth_date, self.day)

    @property
    def is_home_visit(self) -> bool:
        return self.booking.slot.modality == Modality.HOME_VISIT

    @property
    def teleconsultant(self) -> Professional | None:
        paired = self.booking.paired_slot
        return paired.professional if paired is not None else None


@dataclass(frozen=True)
class SheetSection:
    """A part of the sheet with its own place: a Médicobus stop (commune, place); the whole sheet otherwise."""

    heading: str
    lines: list[SheetLine]


@dataclass(frozen=True)
class DaySheet:
    kind: SheetKind
    subject: Model
    heading: str  # who or where: the tour, the spot, the site, the professional
    place: str  # where, as printed under the heading
    day: date
    sections: list[SheetSection]

    @property
    def title(self) -> str:
        return str(SHEET_TITLES[self.kind])

    @property
    def lines(self) -> list[SheetLine]:
        return [line for section in self.sections for line in section.lines]

    @property
    def request_ids(self) -> list[int]:
        """The requests whose patients the sheet names, for the access log (another cell's booking names none)."""
        return [line.booking.request_id for line in self.lines if not line.booked_by_other_cell]

    @property
    def shows_teleconsultant(self) -> bool:
        return any(line.teleconsultant is not None for line in self.lines)


SHEET_MAX = 300  # a day's patients at one place: a Médicobus stop takes up to 25, a busy cell 110 a day in all


def _bookings_of_day(cell: Cell, day: date, *, shared: Professional | None = None) -> QuerySet[Booking]:
    """The day's kept bookings (cancelled ones left out) of the cell's times, with everything a sheet prints: those
    another cell made of a shared professional's time (a pool, decision 0021) are printed "booked by" that cell,
    without their patient (SheetLine.booked_by_other_cell), so that the site's, spot's or bus's staff expect
    someone. `shared`: also that professional's times in other cells' agendas which other cells booked."""
    start, end = day_bounds(day)
    ours = Q(slot__cell=cell)
    if shared is not None:
        ours |= ~Q(request__cell=cell) & (Q(slot__professional=shared) | Q(paired_slot__professional=shared))
    return (
        Booking.objects.filter(ours, slot__starts_at__gte=start, slot__starts_at__lt=end)
        .exclude(status=BookingStatus.CANCELLED)
        .select_related(
            "request__cell",
            "request__requester_professional",
            "request__requester_site",
            "request__patient_commune",
            "slot__site__commune",
            "slot__commune",
            "slot__professional",
            "paired_slot__professional",
        )
        .order_by("slot__starts_at", "slot__pk", "pk")
    )


def _lines(bookings: QuerySet[Booking], day: date, cell: Cell) -> list[SheetLine]:
    return [SheetLine(booking, day, cell.pk) for booking in bookings[:SHEET_MAX]]


def _site_place(site: Site) -> str:
    return ", ".join(part for part in (site.name, site.address, site.commune.name) if part)


def sheet_subject(cell: Cell, kind: SheetKind, pk: int, effector: Professional | None = None) -> Model:
    """What the sheet is of, within the cell, or 404. `effector`: only what that effector takes part in — their own
    day, a tour they drive as its doctor or assistant, a spot where they are an IDEL on duty, never a site's hours;
    anything else is not found (nothing revealed)."""
    found: Model | None
    if kind == SheetKind.TOUR:
        tours = MedicobusTour.objects.filter(cell=cell, pk=pk).select_related("doctor", "assistant")
        found = (tours.filter(Q(doctor=effector) | Q(assistant=effector)) if effector else tours).first()
    elif kind == SheetKind.SPOT:
        spots = TelemedicineSpot.objects.filter(cell=cell, pk=pk).select_related("site__commune")
        found = (spots.filter(nurses=effector) if effector else spots).first()
    elif kind == SheetKind.SITE:
        found = None if effector else Site.objects.filter(cell=cell, pk=pk).select_related("commune").first()
    else:
        found = Professional.objects.filter(cell=cell, pk=pk).first()
        if found is not None and effector is not None and found.pk != effector.pk:
            found = None
    if found is None:
        raise Http404
    return found


def _stop_heading(slot: Slot) -> str:
    commune = slot.commune.name if slot.commune is not None else ""
    return ", ".join(part for part in (slot.place, commune) if part)


def tour_sheet(cell: Cell, tour: MedicobusTour, day: date) -> DaySheet:
    """A Médicobus tour's day: one section per stop (place and commune, with its hours), in the order of the day,
    a stop where nobody is booked included (the bus still goes there)."""
    start, end = day_bounds(day)
    stop_slots = (
        Slot.objects.filter(cell=cell, plan__tour=tour, starts_at__gte=start, starts_at__lt=end)
        .select_related("commune")
        .order_by("starts_at", "pk")
    )
    hours: dict[tuple[Any, str], list[datetime]] = {}
    headings: dict[tuple[Any, str], str] = {}
    for slot in stop_slots:
        key = (slot.commune_id, slot.place)
        headings.setdefault(key, _stop_heading(slot))
        bounds = hours.setdefault(key, [slot.starts_at, slot.ends_at])
        bounds[1] = max(bounds[1], slot.ends_at)
    lines: dict[tuple[Any, str], list[SheetLine]] = {key: [] for key in headings}
    for line in _lines(_bookings_of_day(cell, day).filter(slot__plan__tour=tour), day, cell):
        key = (line.slot.commune_id, line.slot.place)
        headings.setdefault(key, _stop_heading(line.slot))
        hours.setdefault(key, [line.slot.starts_at, line.slot.ends_at])
        lines.setdefault(key, []).append(line)
    sections = [
        SheetSection(
            f"{headings[key]} — {timezone.localtime(hours[key][0]):%H:%M}–{timezone.localtime(hours[key][1]):%H:%M}",
            lines[key],
        )
        for key in headings
    ]
    team = ", ".join(str(person) for person in (tour.doctor, tour.assistant) if person is not None)
    return DaySheet(
        kind=SheetKind.TOUR,
        subject=tour,
        heading=f"{tour.name} — {team}",
        place=" · ".join(headings.values()),
        day=day,
        sections=sections,
    )


def spot_sheet(cell: Cell, spot: TelemedicineSpot, day: date) -> DaySheet:
    """A telemedicine spot's session: its times booked that day, each with its paired teleconsultant."""
    bookings = _bookings_of_day(cell, day).filter(
        slot__site=spot.site_id, slot__modality=Modality.ASSISTED_TELECONSULTATION
    )
    return DaySheet(
        kind=SheetKind.SPOT,
        subject=spot,
        heading=spot.site.name,
        place=_site_place(spot.site),
        day=day,
        sections=[SheetSection("", _lines(bookings, day, cell))],
    )


def site_sheet(cell: Cell, site: Site, day: date) -> DaySheet:
    """A site's SNP hours: every slot at the site booked that day, whoever the professional."""
    bookings = _bookings_of_day(cell, day).filter(slot__site=site)
    return DaySheet(
        kind=SheetKind.SITE,
        subject=site,
        heading=site.name,
        place=_site_place(site),
        day=day,
        sections=[SheetSection("", _lines(bookings, day, cell))],
    )


def professional_sheet(cell: Cell, professional: Professional, day: date) -> DaySheet:
    """A professional's day across sites: their own slots, the assisted teleconsultations paired with their time,
    their spot's times (an IDEL), their tour's stops (the bus assistant), as on their appointments page."""
    spot_sites = TelemedicineSpot.objects.filter(cell=cell, nurses=professional).values("site")
    bookings = _bookings_of_day(cell, day, shared=professional).filter(
        Q(slot__professional=professional)
        | Q(paired_slot__professional=professional)
        | Q(slot__site__in=spot_sites, slot__modality=Modality.ASSISTED_TELECONSULTATION)
        | Q(slot__plan__tour__assistant=professional)
    )
    return DaySheet(
        kind=SheetKind.PROFESSIONAL,
        subject=professional,
        heading=str(professional),
        place=str(professional.get_profession_display()),
        day=day,
        sections=[SheetSection("", _lines(bookings, day, cell))],
    )


def day_sheet(cell: Cell, subject: Model, day: date) -> DaySheet:
    """The day's sheet of a subject found by `sheet_subject`: one query for its patients, however many."""
    if isinstance(subject, MedicobusTour):
        return tour_sheet(cell, subject, day)
    if isinstance(subject, TelemedicineSpot):
        return spot_sheet(cell, subject, day)
    if isinstance(subject, Site):
        return site_sheet(cell, subject, day)
    assert isinstance(subject, Professional)
    return professional_sheet(cell, subject, day)


def sheet_choices(cell: Cell, effector: Professional | None = None) -> list[tuple[str, list[tuple[str, str]]]]:
    """The sheets one may print, grouped for a select (value: `<kind>-<pk>`): for the cell's staff the running
    tours, the spots, the sites and the professionals that offer slots; for an effector their own day, their tours
    and their spots."""
    tours = MedicobusTour.objects.filter(cell=cell, is_active=True).order_by("name")
    spots = TelemedicineSpot.objects.filter(cell=cell).select_related("site").order_by("site__name")
    if effector is not None:
        tours = tours.filter(Q(doctor=effector) | Q(assistant=effector))
        spots = spots.filter(nurses=effector)
        sites: list[Site] = []
        professionals = [effector]
    else:
        offering = Slot.objects.filter(cell=cell)
        sites = list(Site.objects.filter(cell=cell, pk__in=offering.values("site")).order_by("name"))
        professionals = list(
            Professional.objects.filter(cell=cell, pk__in=offering.values("professional")).order_by("search_name")
        )
    groups = [
        (str(_("Médicobus tours")), [(f"{SheetKind.TOUR.value}-{tour.pk}", tour.name) for tour in tours]),
        (str(_("Telemedicine spots")), [(f"{SheetKind.SPOT.value}-{spot.pk}", spot.site.name) for spot in spots]),
        (str(_("Sites")), [(f"{SheetKind.SITE.value}-{site.pk}", site.name) for site in sites]),
        (
            str(_("Professionals")),
            [(f"{SheetKind.PROFESSIONAL.value}-{person.pk}", str(person)) for person in professionals],
        ),
    ]
    return [(label, options) for label, options in groups if options]
