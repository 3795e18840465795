"""Invented past activity for a cell, written in bulk: slots, requests with their outcomes, appointments (seen,
no-show, cancelled), callbacks and questions to the supervisor. The demo gets a few months of it so that its
dashboard has something to show; `make bench` gets a year at full scale (100,000 requests, 300,000 slots).

Nothing here is a real person: names are drawn from invented lists. The rows bypass the services (they describe a
past that already happened) but respect every database constraint.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import transaction

from accounts.models import User
from agenda.models import Booking, BookingStatus, Slot
from common.periods import PARIS
from directory.models import Profession, Professional, ReorientationResource, Site, SiteKind
from referrals.deadlines import deadline_for
from referrals.models import Callback, EventKind, Request, RequestEvent, SupervisorQuestion
from referrals.states import CloseReason, Status
from territory.models import Cell

PREFIX = "H"  # references of generated requests: H + year + number, apart from the real ones
FIRST_NAMES = ("Aurore", "Basile", "Capucine", "Désiré", "Eulalie", "Firmin", "Gaïa", "Hilaire", "Iris", "Jules")
LAST_NAMES = ("Aubrac", "Bocage", "Causse", "Dombes", "Estuaire", "Forêt", "Garrigue", "Hêtraie", "Ilot", "Jachère")
CARES = ("gp",) * 7 + ("imaging", "physiotherapy", "nursing", "biology")
REASONS = ("fever_infection", "pain", "trauma", "respiratory", "digestive", "skin", "urinary", "prescription", "other")
ELSEWHERE = ("er",) * 5 + ("nowhere", "nowhere", "sos_medecins", "other", "unknown")
MODALITIES = ("in_person",) * 6 + ("assisted_teleconsultation", "medicobus", "home_visit")


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
    for offset in range(days):
        day = first_day + timedelta(days=offset)
        day_slots = []
        for _ in range(slots_per_day):
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
        free = iter(day_slots)
        for _ in range(requests_per_day):
            number += 1
            # Received the day before, so that the day's slots come after it (between 12 and 36 hours later).
            received = datetime.combine(
                day - timedelta(days=1), time(rng.randrange(8, 20), rng.randrange(0, 60)), tzinfo=PARIS
            )
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            wanted = rng.choice(CARES)
            requests.append(
                Request(
                    cell=cell,
                    reference=f"{PREFIX}{day:%y}-{number:07d}",
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
                    reason_category=rng.choice(REASONS),
                    care_channel=wanted,
                    exam_type="radiography" if wanted == "imaging" else "",
                    urgency=rng.choice(("24h", "48h", "48h")),
                    elsewhere=rng.choice(ELSEWHERE),
                )
            )
            index = len(requests) - 1
            requests[index].deadline_at = deadline_for(received, requests[index].urgency)
            draw = rng.random()
            slot_index = next(free, None) if draw < 0.7 else None
            if slot_index is not None:
                cancelled = next(free, None) if rng.random() < 0.06 else None
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
