"""What the territory's SNP organisation achieves, over a period: every figure is one SQL aggregation (a handful of
queries whatever the number of requests or slots), scoped to one cell and narrowed by the dashboard's filters.

Dates are Paris dates: a period runs from the first day's midnight to the day after the last day's midnight, Paris
time, and months are Paris months (a request received at 00:30 on the 1st, Paris time, is the new month's, though it
is still the previous day in UTC).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import (
    Avg,
    Case,
    Count,
    DateTimeField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncMonth

from agenda.models import Booking, BookingStatus, Slot, SlotStatus
from directory.models import Professional, ResourceKind, Site
from referrals.models import Callback, Elsewhere, Modality, Request, SupervisorQuestion
from referrals.states import Status
from territory.models import Cell, Territory

PARIS = ZoneInfo("Europe/Paris")
ORIENTED = (Status.ORIENTED, Status.SEEN, Status.NO_SHOW)
ER_LIKE = (ResourceKind.EMERGENCY, ResourceKind.SAMU)
LATE_CANCELLATION = timedelta(hours=24)  # cancelled less than a day before the appointment
SEEN_WITHIN = timedelta(hours=48)


@dataclass(frozen=True)
class Period:
    first: date
    last: date  # included

    @property
    def starts(self) -> datetime:
        return datetime.combine(self.first, time(0), tzinfo=PARIS)

    @property
    def ends(self) -> datetime:
        return datetime.combine(self.last + timedelta(days=1), time(0), tzinfo=PARIS)

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def previous(self) -> Period:
        """The period of the same length just before, for comparisons."""
        return Period(self.first - timedelta(days=self.days), self.first - timedelta(days=1))


@dataclass(frozen=True)
class Scope:
    """Whose figures: a cell, narrowed to a territory, a care, a modality, a site or a professional."""

    cell: Cell
    territory: Territory | None = None
    care_channel: str = ""
    modality: str = ""
    site: Site | None = None
    professional: Professional | None = None

    def slots(self, period: Period) -> QuerySet[Slot]:
        # What was offered: open slots (withdrawn ones were never bookable); a teleconsultant's own time is counted
        # through the spot's slot it pairs with, not twice.
        slots = Slot.objects.filter(
            cell=self.cell, status=SlotStatus.OPEN, starts_at__gte=period.starts, starts_at__lt=period.ends
        ).exclude(modality=Modality.ASSISTED_TELECONSULTATION, site__isnull=True)
        if self.territory is not None:
            communes = self.territory.communes.all()
            slots = slots.filter(Q(site__commune__in=communes) | Q(commune__in=communes))
        if self.care_channel:
            slots = slots.filter(care_channel=self.care_channel)
        if self.modality:
            slots = slots.filter(modality=self.modality)
        if self.site is not None:
            slots = slots.filter(site=self.site)
        if self.professional is not None:
            slots = slots.filter(professional=self.professional)
        return slots

    def requests(self, period: Period) -> QuerySet[Request]:
        requests = Request.objects.filter(
            cell=self.cell, received_at__gte=period.starts, received_at__lt=period.ends
        ).exclude(status=Status.TO_VALIDATE)
        if self.territory is not None:
            requests = requests.filter(patient_commune__in=self.territory.communes.all())
        if self.care_channel:
            requests = requests.filter(care_channel=self.care_channel)
        if self.modality:
            requests = requests.filter(modality=self.modality)
        if self.site is not None or self.professional is not None:
            booked = Booking.objects.filter(request=OuterRef("pk"))
            if self.site is not None:
                booked = booked.filter(slot__site=self.site)
            if self.professional is not None:
                booked = booked.filter(slot__professional=self.professional)
            requests = requests.filter(Exists(booked))
        return requests

    def bookings(self, period: Period) -> QuerySet[Booking]:
        """The appointments of the period's slots."""
        return Booking.objects.filter(slot__in=self.slots(period).values("pk"))


def _month(value: Any) -> date:
    """TruncMonth's answer as a date, whatever the database gives back (a datetime on PostgreSQL)."""
    if isinstance(value, datetime):
        return value.astimezone(PARIS).date() if value.tzinfo else value.date()
    return value


def _rate(part: int | None, whole: int | None) -> float | None:
    return round(100 * (part or 0) / whole, 1) if whole else None


@dataclass(frozen=True)
class SlotMonth:
    month: date
    care_channel: str
    offered: int  # places offered (a slot of capacity 2 offers two)
    taken: int
    not_taken: int  # places of ended slots nobody took
    upcoming: int  # free places of slots still to come

    @property
    def fill_rate(self) -> float | None:
        return _rate(self.taken, self.offered - self.upcoming)


def slots_by_month(scope: Scope, period: Period, now: datetime) -> list[SlotMonth]:
    """Places offered, taken and not taken per Paris month and care channel (the figure seed 004 publishes)."""
    free = F("capacity") - F("booked")
    rows = (
        scope.slots(period)
        .annotate(month=TruncMonth("starts_at", tzinfo=PARIS))
        .values("month", "care_channel")
        .annotate(
            offered=Sum("capacity"),
            taken=Sum("booked"),
            not_taken=Sum(Case(When(ends_at__lte=now, then=free), default=Value(0), output_field=IntegerField())),
            upcoming=Sum(Case(When(ends_at__gt=now, then=free), default=Value(0), output_field=IntegerField())),
        )
        .order_by("month", "care_channel")
    )
    return [
        SlotMonth(_month(r["month"]), r["care_channel"], r["offered"], r["taken"], r["not_taken"], r["upcoming"])
        for r in rows
    ]


@dataclass(frozen=True)
class Summary:
    """The headline figures of a period."""

    requests: int = 0
    oriented: int = 0
    reoriented: int = 0
    closed: int = 0
    still_open: int = 0
    er_avoided: int = 0
    seen_within_48h: int = 0
    seen: int = 0
    offered: int = 0
    taken: int = 0
    not_taken: int = 0
    no_shows: int = 0
    cancellations: int = 0
    late_cancellations: int = 0
    callbacks: int = 0
    escalations: int = 0
    first_callback_delay: timedelta | None = None
    consultation_delay: timedelta | None = None
    supervisor_answer_delay: timedelta | None = None

    @property
    def fill_rate(self) -> float | None:
        return _rate(self.taken, self.taken + self.not_taken)

    @property
    def seen_within_48h_rate(self) -> float | None:
        return _rate(self.seen_within_48h, self.seen)

    @property
    def callbacks_per_request(self) -> float | None:
        return round(self.callbacks / self.requests, 2) if self.requests else None


def _duration(expression: Any) -> ExpressionWrapper:
    return ExpressionWrapper(expression, output_field=DurationField())


def summary(scope: Scope, period: Period, now: datetime) -> Summary:
    requests = scope.requests(period)
    seen_booking = Booking.objects.filter(request=OuterRef("pk"), status=BookingStatus.SEEN)
    within = seen_booking.filter(
        slot__starts_at__lte=ExpressionWrapper(OuterRef("received_at") + SEEN_WITHIN, output_field=DateTimeField())
    )
    first_call = Callback.objects.filter(request=OuterRef("pk")).order_by("at").values("at")[:1]
    er_avoided = Q(elsewhere=Elsewhere.ER) & (
        Q(status__in=(Status.ORIENTED, Status.SEEN))
        | (Q(status=Status.REORIENTED) & ~Q(reoriented_to__kind__in=ER_LIKE))
    )
    counts = requests.annotate(
        first_call=Subquery(first_call, output_field=DateTimeField()),
        has_seen=Exists(seen_booking),
        seen_in_time=Exists(within),
    ).aggregate(
        requests=Count("pk"),
        oriented=Count("pk", filter=Q(status__in=ORIENTED)),
        reoriented=Count("pk", filter=Q(status=Status.REORIENTED)),
        closed=Count("pk", filter=Q(status=Status.CLOSED)),
        er_avoided=Count("pk", filter=er_avoided),
        seen=Count("pk", filter=Q(has_seen=True)),
        seen_within_48h=Count("pk", filter=Q(seen_in_time=True)),
        first_callback_delay=Avg(_duration(F("first_call") - F("received_at"))),
    )
    counts["still_open"] = counts["requests"] - counts["oriented"] - counts["reoriented"] - counts["closed"]
    counts["callbacks"] = Callback.objects.filter(request__in=requests.values("pk")).count()
    consultations = Booking.objects.filter(request__in=requests.values("pk"), status=BookingStatus.SEEN).aggregate(
        delay=Avg(_duration(F("slot__starts_at") - F("request__received_at")))
    )
    questions = SupervisorQuestion.objects.filter(request__in=requests.values("pk")).aggregate(
        escalations=Count("pk"), delay=Avg(_duration(F("answered_at") - F("asked_at")))
    )
    free = F("capacity") - F("booked")
    places = scope.slots(period).aggregate(
        offered=Sum("capacity"),
        taken=Sum("booked"),
        not_taken=Sum(Case(When(ends_at__lte=now, then=free), default=Value(0), output_field=IntegerField())),
    )
    bookings = scope.bookings(period).aggregate(
        no_shows=Count("pk", filter=Q(status=BookingStatus.NO_SHOW)),
        cancellations=Count("pk", filter=Q(status=BookingStatus.CANCELLED)),
        late_cancellations=Count(
            "pk",
            filter=Q(
                status=BookingStatus.CANCELLED,
                cancelled_at__gt=ExpressionWrapper(
                    F("slot__starts_at") - LATE_CANCELLATION, output_field=DateTimeField()
                ),
            ),
        ),
    )
    return Summary(
        requests=counts["requests"],
        oriented=counts["oriented"],
        reoriented=counts["reoriented"],
        closed=counts["closed"],
        still_open=counts["still_open"],
        er_avoided=counts["er_avoided"],
        seen=counts["seen"],
        seen_within_48h=counts["seen_within_48h"],
        first_callback_delay=counts["first_callback_delay"],
        callbacks=counts["callbacks"],
        consultation_delay=consultations["delay"],
        escalations=questions["escalations"],
        supervisor_answer_delay=questions["delay"],
        offered=places["offered"] or 0,
        taken=places["taken"] or 0,
        not_taken=places["not_taken"] or 0,
        **bookings,
    )


@dataclass(frozen=True)
class Row:
    key: str
    count: int


def requests_by(scope: Scope, period: Period, dimension: str) -> list[Row]:
    """Requests counted by one dimension: origin (the requester's profession or structure, else the QR code),
    channel, care wanted, reason category; or outcome: oriented by modality, reoriented by destination, closed by
    reason."""
    requests = scope.requests(period)
    if dimension == "origin":
        requests = requests.annotate(
            key=Coalesce("requester_professional__profession", "requester_site__kind", Value("qr"))
        )
    elif dimension == "oriented":
        requests = requests.filter(status__in=ORIENTED).annotate(key=F("modality"))
    elif dimension == "reoriented":
        requests = requests.filter(status=Status.REORIENTED).annotate(key=F("reoriented_to__kind"))
    elif dimension == "closed":
        requests = requests.filter(status=Status.CLOSED).annotate(key=F("close_reason"))
    elif dimension in ("channel", "care_channel", "reason_category", "elsewhere"):
        requests = requests.annotate(key=F(dimension))
    else:
        raise ValueError(dimension)
    rows = requests.values("key").annotate(count=Count("pk")).order_by("-count", "key")
    return [Row(r["key"] or "", r["count"]) for r in rows]


@dataclass(frozen=True)
class RequestMonth:
    month: date
    received: int
    oriented: int
    reoriented: int
    closed: int


def requests_by_month(scope: Scope, period: Period) -> list[RequestMonth]:
    rows = (
        scope.requests(period)
        .annotate(month=TruncMonth("received_at", tzinfo=PARIS))
        .values("month")
        .annotate(
            received=Count("pk"),
            oriented=Count("pk", filter=Q(status__in=ORIENTED)),
            reoriented=Count("pk", filter=Q(status=Status.REORIENTED)),
            closed=Count("pk", filter=Q(status=Status.CLOSED)),
        )
        .order_by("month")
    )
    return [RequestMonth(_month(r["month"]), r["received"], r["oriented"], r["reoriented"], r["closed"]) for r in rows]


@dataclass(frozen=True)
class EffectorRow:
    professional: str
    offered: int
    taken: int

    @property
    def fill_rate(self) -> float | None:
        return _rate(self.taken, self.offered)


def slots_per_effector(scope: Scope, period: Period, limit: int = 30) -> list[EffectorRow]:
    rows = (
        scope.slots(period)
        .filter(professional__isnull=False)
        .values("professional", "professional__first_name", "professional__last_name")
        .annotate(offered=Sum("capacity"), taken=Sum("booked"))
        .order_by("-offered", "professional__last_name")[:limit]
    )
    return [
        EffectorRow(f"{r['professional__first_name']} {r['professional__last_name'].upper()}", r["offered"], r["taken"])
        for r in rows
    ]


@dataclass(frozen=True)
class Professionals:
    adherents: int
    active_effectors: int  # professionals who offered at least one slot in the period


def professionals(scope: Scope, period: Period) -> Professionals:
    adherents = Professional.objects.filter(cell=scope.cell, is_active=True, is_adherent=True).count()
    active = scope.slots(period).filter(professional__isnull=False).values("professional").distinct().count()
    return Professionals(adherents, active)


@dataclass(frozen=True)
class Comparison:
    now: Summary
    before: Summary

    def delta(self, name: str) -> int | None:
        current, previous = getattr(self.now, name), getattr(self.before, name)
        if current is None or previous is None or isinstance(current, timedelta):
            return None
        return int(current) - int(previous)


def compare(scope: Scope, period: Period, now: datetime) -> Comparison:
    return Comparison(summary(scope, period, now), summary(scope, period.previous(), now))
