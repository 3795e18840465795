"""Invented past activity for a cell, written in bulk: slots, requests with their outcomes, appointments (seen,
no-show, cancelled), callbacks and questions to the supervisor. The demo gets two years of it at a small scale, so that
its dashboard has something to show and the capacity forecast a year to compare with (decision 0020); `make bench`
gets a year at full scale (100,000 requests, 300,000 slots).

The demand looks like a real cell's (decision 0020), so that the forecast is measured on something worth forecasting:
more requests on Mondays and few at weekends, fewer on public holidays and in August, a winter peak of GP and nursing
requests (fever, respiratory infections, December to February), a cell growing slowly, and week-to-week noise. The
totals stay exact (`days × requests_per_day`, `days × slots_per_day`): each request and slot is drawn onto a day and
care with these weights. A request books a free slot of its own care on its day, when there is one left.

Nothing here is a real person: names are drawn from invented lists. The rows bypass the services (they describe a
past that already happened) but respect every database constraint.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import transaction

from accounts.models import User
from agenda.models import Booking, BookingStatus, Slot
from common.holidays import public_holidays
from common.periods import PARIS
from directory.models import Profession, Professional, ReorientationResource, Site, SiteKind
from referrals.deadlines import deadline_for
from referrals.models import Callback, EventKind, Request, RequestEvent, SupervisorQuestion
from referrals.states import CloseReason, Status
from territory.models import Cell

PREFIX = "H"  # references of generated requests: H + the cell + year + number, apart from the real ones
FIRST_NAMES = ("Aurore", "Basile", "Capucine", "Désiré", "Eulalie", "Firmin", "Gaïa", "Hilaire", "Iris", "Jules")
LAST_NAMES = ("Aubrac", "Bocage", "Causse", "Dombes", "Estuaire", "Forêt", "Garrigue", "Hêtraie", "Ilot", "Jachère")
CARES = ("gp",) * 7 + ("imaging", "physiotherapy", "nursing", "biology")  # the slots' mix
# The requests' mix, and how much each care rises in the depth of winter (GP and nursing: fever, respiratory).
DEMAND_SHARE = {"gp": 0.62, "imaging": 0.1, "physiotherapy": 0.06, "nursing": 0.14, "biology": 0.08}
WINTER_RISE = {"gp": 0.6, "imaging": 0.0, "physiotherapy": 0.0, "nursing": 0.25, "biology": 0.1}
# Monday to Sunday: the requests (Monday's backlog of the weekend, few at weekends) and the slots offered.
REQUEST_WEEKDAY = (1.5, 1.1, 1.0, 1.0, 1.05, 0.5, 0.2)
SLOT_WEEKDAY = (1.0, 1.0, 1.0, 1.0, 1.0, 0.45, 0.1)
HOLIDAY = 0.3  # a public holiday's share of an ordinary day's requests (and slots)
AUGUST_DIP = 0.2  # at most, mid-August
GROWTH = 0.08  # per year
WEEK_NOISE = 0.08  # the spread of a week's factor (an epidemic, a closed practice nearby)
REASONS = ("fever_infection", "pain", "trauma", "respiratory", "digestive", "skin", "urinary", "prescription", "other")
WINTER_REASONS = ("fever_infection",) * 3 + ("respiratory",) * 3 + REASONS
ELSEWHERE = ("er",) * 5 + ("nowhere", "nowhere", "sos_medecins", "other", "unknown")
MODALITIES = ("in_person",) * 6 + ("assisted_teleconsultation", "medicobus", "home_visit")


def winter(day: date) -> float:
    """0 from April to October, rising to 1 in mid-January."""
    return max(0.0, math.cos(2 * math.pi * (day.timetuple().tm_yday - 15) / 365.25)) ** 2


def august(day: date) -> float:
    """0 most of the year, 1 in mid-August (the summer holidays)."""
    return math.exp(-(((day.timetuple().tm_yday - 225) / 14) ** 2))


def demand_weight(day: date, care: str, *, first_day: date, holidays: set[date], week_factor: float) -> float:
    """How likely a request is to be received on `day` for `care`, relative to an ordinary day."""
    weight = DEMAND_SHARE[care] * REQUEST_WEEKDAY[day.weekday()] * week_factor
    weight *= 1 + WINTER_RISE[care] * winter(day)
    weight *= (1 - AUGUST_DIP * august(day)) * (1 + GROWTH * (day - first_day).days / 365.25)
    return weight * (HOLIDAY if day in holidays else 1.0)


@dataclass(frozen=True)
class Generated:
    requests: int
    slots: int
    bookings: int


def has_history(cell: Cell) -> bool:
    return Request.objects.filter(cell=cell, reference__startswith=PREFIX).exists()


@transaction.atomic
def generate_history(
    cell: Cell,
    *,
    days: int,
    requests_per_day: int,
    slots_per_day: int,
    until: date,
    seed: int = 2026,
    batch: int = 5000,
) -> Generated:
    """`days` of activity ending the day before `until` (Paris dates)."""
    rng = random.Random(seed)
    sites: list[Site | None] = [*Site.objects.filter(cell=cell).exclude(kind=SiteKind.TELEMEDICINE_SPOT)] or [None]
    spots = list(Site.objects.filter(cell=cell, kind=SiteKind.TELEMEDICINE_SPOT))
    effectors = list(Professional.objects.filter(cell=cell, is_active=True).exclude(profession=Profession.PHARMACIST))
    requesters = list(Professional.objects.filter(cell=cell, profession__in=(Profession.PHARMACIST, Profession.GP)))
    resources = list(ReorientationResource.objects.filter(cell=cell))
    communes = list(cell.territories.first().communes.all()) if cell.territories.exists() else []  # type: ignore[union-attr]
    staff = User.objects.filter(memberships__cell=cell).order_by("pk").first()
    if not (effectors and requesters and communes and staff):
        return Generated(0, 0, 0)
    first_day = until - timedelta(days=days)
    slots: list[Slot] = []
    requests: list[Request] = []
    outcomes: list[tuple[int, Status, int | None, int | None]] = []  # request index, status, slot index, cancelled slot
    number = Request.objects.filter(cell=cell, reference__startswith=PREFIX).count()
    calendar = [first_day + timedelta(days=offset) for offset in range(days)]
    holidays = set(public_holidays(cell.holiday_zone, first_day, until)) if days else set()
    week_factor = {day.isocalendar()[:2]: 0.0 for day in calendar}
    for week in week_factor:
        week_factor[week] = rng.lognormvariate(0, WEEK_NOISE)
    slot_days = rng.choices(
        range(days),
        weights=[SLOT_WEEKDAY[day.weekday()] * (HOLIDAY if day in holidays else 1.0) for day in calendar],
        k=days * slots_per_day,
    )
    # Each request's day and care: received the day before its day's slots (between 12 and 36 hours before them).
    day_cares = [(offset, care) for offset in range(days) for care in DEMAND_SHARE]
    request_draws = rng.choices(
        day_cares,
        weights=[
            demand_weight(
                calendar[offset] - timedelta(days=1),
                care,
                first_day=first_day,
                holidays=holidays,
                week_factor=week_factor.get((calendar[offset] - timedelta(days=1)).isocalendar()[:2], 1.0),
            )
            for offset, care in day_cares
        ],
        k=days * requests_per_day,
    )
    slots_on = [0] * days
    for offset in slot_days:
        slots_on[offset] += 1
    wanted_on: list[list[str]] = [[] for _ in range(days)]
    for offset, care in sorted(request_draws):
        wanted_on[offset].append(care)
    for offset in range(days):
        day = first_day + timedelta(days=offset)
        day_slots = []
        for _ in range(slots_on[offset]):
            starts = datetime.combine(day, time(8 + rng.randrange(0, 12), rng.choice((0, 20, 40))), tzinfo=PARIS)
            care = rng.choice(CARES)
            modality = rng.choice(MODALITIES) if care == "gp" else "in_person"
            site = rng.choice(sites)
            if modality == "assisted_teleconsultation":  # at a telemedicine spot, or not at all
                site = rng.choice(spots) if spots else site
                modality = modality if spots else "in_person"
            slots.append(
                Slot(
                    cell=cell,
                    professional=rng.choice(effectors),
                    site=site,
                    starts_at=starts,
                    ends_at=starts + timedelta(minutes=20),
                    care_channel=care,
                    exam_type="radiography" if care == "imaging" else "",
                    modality=modality,
                )
            )
            day_slots.append(len(slots) - 1)
        rng.shuffle(day_slots)
        free: dict[str, list[int]] = {}
        for kept in day_slots:
            free.setdefault(slots[kept].care_channel, []).append(kept)
        for wanted in wanted_on[offset]:
            number += 1
            # Received the day before, so that the day's slots come after it (between 12 and 36 hours later).
            received = datetime.combine(
                day - timedelta(days=1), time(rng.randrange(8, 20), rng.randrange(0, 60)), tzinfo=PARIS
            )
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            requests.append(
                Request(
                    cell=cell,
                    reference=f"{PREFIX}{cell.pk}-{day:%y}-{number:07d}",  # unique across cells
                    channel=rng.choice(("phone", "phone", "web", "qr", "api")),
                    status=Status.CLOSED,
                    received_at=received,
                    deadline_at=received,  # set from its urgency below (the random draws keep their order)
                    requester_professional=rng.choice(requesters),
                    patient_last_name=last,
                    patient_first_name=first,
                    patient_search_name=f"{last} {first}".lower(),
                    patient_commune=rng.choice(communes),
                    patient_phone=f"+3363998{rng.randrange(0, 10**4):04d}",  # the range kept for fiction
                    mt_situation=rng.choice(("no_mt", "mt_unavailable", "passing_through")),
                    reason="Activité passée (inventée)",
                    reason_category=rng.choice(WINTER_REASONS if rng.random() < winter(day) else REASONS),
                    care_channel=wanted,
                    exam_type="radiography" if wanted == "imaging" else "",
                    urgency=rng.choice(("24h", "48h", "48h")),
                    elsewhere=rng.choice(ELSEWHERE),
                )
            )
            index = len(requests) - 1
            requests[index].deadline_at = deadline_for(received, requests[index].urgency)
            draw = rng.random()
            same_care = free.get(wanted, [])
            slot_index = same_care.pop() if draw < 0.7 and same_care else None
            if slot_index is not None:
                cancelled = same_care.pop() if rng.random() < 0.06 and same_care else None
                status = Status.SEEN if rng.random() < 0.9 else Status.NO_SHOW
                outcomes.append((index, status, slot_index, cancelled))
            elif draw < 0.85 and resources:
                outcomes.append((index, Status.REORIENTED, None, None))
            else:
                outcomes.append((index, Status.CLOSED, None, None))
    bookings: list[tuple[int, int, BookingStatus, datetime]] = []
    callbacks: list[Callback] = []
    questions: list[SupervisorQuestion] = []
    events: list[RequestEvent] = []
    for index, status, slot_index, cancelled in outcomes:
        request = requests[index]
        request.status = status
        if status == Status.REORIENTED:
            request.reoriented_to = rng.choice(resources)
            request.reorientation_reason = "other"
        elif status == Status.CLOSED:
            request.close_reason = rng.choice((CloseReason.UNREACHABLE, CloseReason.RESOLVED_OTHERWISE))
        if slot_index is not None:
            slot = slots[slot_index]
            request.care_channel, request.modality = slot.care_channel, slot.modality
            request.exam_type = slot.exam_type
            slot.booked = 1
            bookings.append((index, slot_index, BookingStatus(status), request.received_at + timedelta(minutes=30)))
            if cancelled is not None:
                bookings.append(
                    (index, cancelled, BookingStatus.CANCELLED, request.received_at + timedelta(minutes=20))
                )
    Slot.objects.bulk_create(slots, batch_size=batch)
    Request.objects.bulk_create(requests, batch_size=batch)
    booking_rows = []
    for index, slot_index, booking_status, booked_at in bookings:
        slot = slots[slot_index]
        cancelled_at = None
        if booking_status == BookingStatus.CANCELLED:
            cancelled_at = max(slot.starts_at - timedelta(hours=rng.choice((2, 30))), booked_at + timedelta(minutes=10))
        booking_rows.append(
            Booking(
                slot=slot,
                request=requests[index],
                status=booking_status,
                booked_by=staff,
                booked_at=booked_at,
                cancelled_at=cancelled_at,
            )
        )
    Booking.objects.bulk_create(booking_rows, batch_size=batch)
    for request in requests:
        first_call = request.received_at + timedelta(minutes=rng.randrange(5, 90))
        callbacks.append(Callback(request=request, at=first_call, by=staff, outcome="reached"))
        if rng.random() < 0.3:
            callbacks.append(
                Callback(request=request, at=first_call + timedelta(minutes=20), by=staff, outcome="no_answer")
            )
        if rng.random() < 0.05:
            asked = request.received_at + timedelta(minutes=15)
            questions.append(
                SupervisorQuestion(
                    request=request,
                    asked_by=staff,
                    asked_at=asked,
                    question="Avis ?",
                    answered_by=staff,
                    answered_at=asked + timedelta(minutes=rng.randrange(5, 60)),
                    decision="orient",
                    answer="D'accord.",
                )
            )
        events.append(
            RequestEvent(
                request=request,
                at=request.received_at + timedelta(hours=2),
                kind=EventKind.MOVE,
                from_status=Status.RECEIVED,
                to_status=request.status,
                text="Activité passée (inventée)",
            )
        )
    Callback.objects.bulk_create(callbacks, batch_size=batch)
    SupervisorQuestion.objects.bulk_create(questions, batch_size=batch)
    RequestEvent.objects.bulk_create(events, batch_size=batch)
    return Generated(len(requests), len(slots), len(booking_rows))
