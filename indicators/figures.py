"""What the territory's SNP organisation achieves, over a period: every figure is one SQL aggregation (a handful of
queries whatever the number of requests or slots), scoped to one cell and narrowed by the dashboard's filters.

Dates are Paris dates: a period runs from the first day's midnight to the day after the last day's midnight, Paris
time, and months are Paris months (a request received at 00:30 on the 1st, Paris time, is the new month's, though it
is still the previous day in UTC).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import (
    Case,
    Count,
    DateTimeField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import TruncMonth

from agenda.models import Booking, BookingStatus, Slot, SlotStatus
from common.periods import PARIS, Period
from directory.models import Professional, ResourceKind, Site
from referrals.deadlines import SNP_HOURS
from referrals.models import (
    CareChannel,
    Channel,
    Elsewhere,
    Modality,
    ReasonCategory,
    Request,
    SupervisorQuestion,
)
from referrals.states import CloseReason, Status
from territory.models import Cell, Territory

from .origins import origin_key

ORIENTED = (Status.ORIENTED, Status.SEEN, Status.NO_SHOW)
ER_LIKE = (ResourceKind.EMERGENCY, ResourceKind.SAMU)
LATE_CANCELLATION = timedelta(hours=24)  # cancelled less than a day before the appointment
SEEN_WITHIN = timedelta(hours=SNP_HOURS)


@dataclass(frozen=True)
class Scope:
    """Whose figures: a cell, narrowed to a territory, a care, a modality, a site or a professional."""

    cell: Cell
    territory: Territory | None = None
    care_channel: str = ""
    modality: str = ""
    site: Site | None = None
    professional: Professional | None = None

    def slot_q(self, period: Period, prefix: str = "") -> Q:
        """The period's offered slots, as a condition on `prefix` + slot fields (so that bookings can be filtered by
        their slot with a join rather than a subquery). What was offered: open slots (withdrawn ones were never
        bookable); a teleconsultant's own time is counted through the spot's slot it pairs with, not twice."""

        def q(**lookups: Any) -> Q:
            return Q(**{prefix + key: value for key, value in lookups.items()})

        condition = q(cell=self.cell, status=SlotStatus.OPEN, starts_at__gte=period.starts, starts_at__lt=period.ends)
        condition &= ~q(modality=Modality.ASSISTED_TELECONSULTATION, site__isnull=True)
        if self.territory is not None:
            communes = self.territory.communes.all()
            condition &= q(site__commune__in=communes) | q(commune__in=communes)
        if self.care_channel:
            condition &= q(care_channel=self.care_channel)
        if self.modality:
            condition &= q(modality=self.modality)
        if self.site is not None:
            condition &= q(site=self.site)
        if self.professional is not None:
            condition &= q(professional=self.professional)
        return condition

    def request_q(self, period: Period, prefix: str = "") -> Q:
        """The period's requests (received in it), as a condition on `prefix` + request fields. A site or a
        professional narrows them to those with an appointment there."""

        def q(**lookups: Any) -> Q:
            return Q(**{prefix + key: value for key, value in lookups.items()})

        condition = q(cell=self.cell, received_at__gte=period.starts, received_at__lt=period.ends)
        condition &= ~q(status=Status.TO_VALIDATE) & ~q(status=Status.CLOSED, close_reason=CloseReason.DUPLICATE)
        if self.territory is not None:
            condition &= q(patient_commune__in=self.territory.communes.all())
        if self.care_channel:
            condition &= q(care_channel=self.care_channel)
        if self.modality:
            condition &= q(modality=self.modality)
        if self.site is not None or self.professional is not None:
            booked = Booking.objects.filter(request=OuterRef(prefix.removesuffix("__") if prefix else "pk"))
            if self.site is not None:
                booked = booked.filter(slot__site=self.site)
            if self.professional is not None:
                booked = booked.filter(slot__professional=self.professional)
            condition &= Q(Exists(booked))
        return condition

    def slots(self, period: Period) -> QuerySet[Slot]:
        return Slot.objects.filter(self.slot_q(period))

    def requests(self, period: Period) -> QuerySet[Request]:
        return Request.objects.filter(self.request_q(period))


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
    seen: int = 0  # patients (requests) seen at one session at least
    sessions_seen: int = 0  # appointments seen: a series of sessions counts each (physiotherapy, nursing)
    offered: int = 0
    taken: int = 0
    not_taken: int = 0
    no_shows: int = 0
    cancellations: int = 0
    late_cancellations: int = 0
    callbacks: int = 0
    escalations: int = 0
    # Delays as totals and counts, so that the figures of two periods (a stored month and the days around it,
    # indicators/rollups.py) add up exactly; their averages are the properties below.
    first_callback_total: timedelta = timedelta(0)
    first_callback_count: int = 0  # requests called back at least once
    consultation_total: timedelta = timedelta(0)
    consultation_count: int = 0  # first sessions seen
    supervisor_answer_total: timedelta = timedelta(0)
    supervisor_answer_count: int = 0  # questions answered

    @property
    def first_callback_delay(self) -> timedelta | None:
        return _mean(self.first_callback_total, self.first_callback_count)

    @property
    def consultation_delay(self) -> timedelta | None:
        return _mean(self.consultation_total, self.consultation_count)

    @property
    def supervisor_answer_delay(self) -> timedelta | None:
        return _mean(self.supervisor_answer_total, self.supervisor_answer_count)

    @property
    def fill_rate(self) -> float | None:
        return _rate(self.taken, self.taken + self.not_taken)

    @property
    def seen_within_48h_rate(self) -> float | None:
        return _rate(self.seen_within_48h, self.seen)

    @property
    def callbacks_per_request(self) -> float | None:
        return round(self.callbacks / self.requests, 2) if self.requests else None


def _mean(total: timedelta, count: int) -> timedelta | None:
    return total / count if count else None


def _duration(expression: Any) -> ExpressionWrapper:
    return ExpressionWrapper(expression, output_field=DurationField())


ER_AVOIDED = Q(elsewhere=Elsewhere.ER) & (
    Q(status__in=(Status.ORIENTED, Status.SEEN)) | (Q(status=Status.REORIENTED) & ~Q(reoriented_to__kind__in=ER_LIKE))
)


def summary(
    scope: Scope,
    period: Period,
    now: datetime,
    request_months: list[RequestMonth] | None = None,
    slot_months: list[SlotMonth] | None = None,
) -> Summary:
    """At most six aggregations, each one pass over its table (no correlated subquery per request); fewer when the
    dashboard already has the period's months (`requests_by_month`, `slots_by_month`), whose sums are the same."""
    requests = scope.requests(period)
    if request_months is None:
        request_months = requests_by_month(scope, period)
    counts = {
        "requests": sum(m.received for m in request_months),
        "oriented": sum(m.oriented for m in request_months),
        "reoriented": sum(m.reoriented for m in request_months),
        "closed": sum(m.closed for m in request_months),
        "er_avoided": sum(m.er_avoided for m in request_months),
    }
    # The first callback of each request, then their average (an aggregate over a grouped subquery).
    calls = requests.annotate(first_call=Min("callbacks__at"), calls=Count("callbacks")).aggregate(
        first_callback_total=Sum(_duration(F("first_call") - F("received_at"))),
        first_callback_count=Count("first_call"),
        callbacks=Sum("calls"),
    )
    # The appointments of the period's requests, in one pass: the requests seen (a series of sessions has several
    # appointments seen: its patient counts once) and the sessions seen, seen in time (a session within the 48 h), the
    # delay (to the first session), no-shows and cancellations (of appointments).
    is_seen = Q(status=BookingStatus.SEEN)
    seen = Booking.objects.filter(scope.request_q(period, prefix="request__")).aggregate(
        seen=Count("request", filter=is_seen, distinct=True),
        sessions_seen=Count("pk", filter=is_seen),
        within=Count(
            "request",
            distinct=True,
            filter=is_seen
            & Q(
                slot__starts_at__lte=ExpressionWrapper(
                    F("request__received_at") + SEEN_WITHIN, output_field=DateTimeField()
                )
            ),
        ),
        delay_total=Sum(
            Case(
                When(is_seen & Q(session=1), then=_duration(F("slot__starts_at") - F("request__received_at"))),
                default=None,
            )
        ),
        delay_count=Count("pk", filter=is_seen & Q(session=1)),
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
    questions = SupervisorQuestion.objects.filter(scope.request_q(period, prefix="request__")).aggregate(
        escalations=Count("pk"),
        delay_total=Sum(_duration(F("answered_at") - F("asked_at"))),
        delay_count=Count("pk", filter=Q(answered_at__isnull=False)),
    )
    if slot_months is None:
        slot_months = slots_by_month(scope, period, now)
    return Summary(
        requests=counts["requests"],
        oriented=counts["oriented"],
        reoriented=counts["reoriented"],
        closed=counts["closed"],
        still_open=counts["requests"] - counts["oriented"] - counts["reoriented"] - counts["closed"],
        er_avoided=counts["er_avoided"],
        seen=seen["seen"],
        sessions_seen=seen["sessions_seen"],
        seen_within_48h=seen["within"],
        first_callback_total=calls["first_callback_total"] or timedelta(0),
        first_callback_count=calls["first_callback_count"],
        callbacks=int(calls["callbacks"] or 0),
        consultation_total=seen["delay_total"] or timedelta(0),
        consultation_count=seen["delay_count"],
        escalations=questions["escalations"],
        supervisor_answer_total=questions["delay_total"] or timedelta(0),
        supervisor_answer_count=questions["delay_count"],
        offered=sum(m.offered for m in slot_months),
        taken=sum(m.taken for m in slot_months),
        not_taken=sum(m.not_taken for m in slot_months),
        no_shows=seen["no_shows"],
        cancellations=seen["cancellations"],
        late_cancellations=seen["late_cancellations"],
    )


@dataclass(frozen=True)
class Row:
    key: str
    count: int


def requests_by(scope: Scope, period: Period, dimension: str) -> list[Row]:
    """Requests counted by one dimension: origin (the SAS, else the requester's profession or structure, else the QR
    code),
    channel, care wanted, reason category, the cell's tags (by name, archived ones included); or outcome: oriented
    by modality, reoriented by destination, closed by reason."""
    requests = scope.requests(period)
    if dimension == "origin":
        requests = requests.annotate(key=origin_key())  # the SAS ("sas") apart: indicators/origins.py
    elif dimension == "oriented":
        requests = requests.filter(status__in=ORIENTED).annotate(key=F("modality"))
    elif dimension == "reoriented":
        requests = requests.filter(status=Status.REORIENTED).annotate(key=F("reoriented_to__kind"))
    elif dimension == "closed":
        requests = requests.filter(status=Status.CLOSED).annotate(key=F("close_reason"))
    elif dimension == "tags":
        # A request with two tags counts once under each; untagged requests are not a row.
        requests = requests.annotate(key=F("tags__name")).filter(key__isnull=False)
    elif dimension in ("channel", "care_channel", "reason_category", "elsewhere"):
        requests = requests.annotate(key=F(dimension))
    else:
        raise ValueError(dimension)
    rows = requests.values("key").annotate(count=Count("pk")).order_by("-count", "key")
    return [Row(r["key"] or "", r["count"]) for r in rows]


# Dimensions whose values are a short list of codes: counted together in one pass (conditional counts).
CODED: dict[str, tuple[str, Q, Any]] = {
    "channel": ("channel", Q(), Channel),
    "care_channel": ("care_channel", Q(), CareChannel),
    "reason_category": ("reason_category", Q(), ReasonCategory),
    "elsewhere": ("elsewhere", Q(), Elsewhere),
    "oriented": ("modality", Q(status__in=ORIENTED), Modality),
    "closed": ("close_reason", Q(status=Status.CLOSED), CloseReason),
}


def requests_by_all(scope: Scope, period: Period) -> dict[str, list[Row]]:
    """Every dimension of `requests_by` at once: the coded ones in a single pass over the period's requests, the two
    that need a join (origin, reoriented, tags) in one query each."""
    counts: dict[str, Any] = {}
    for dimension, (column, condition, codes) in CODED.items():
        for code in [*codes.values, ""]:
            counts[f"{dimension}|{code}"] = Count("pk", filter=condition & Q(**{column: code}))
    totals = scope.requests(period).aggregate(**counts)
    found: dict[str, list[Row]] = {dimension: [] for dimension in CODED}
    for name, count in totals.items():
        dimension, code = name.split("|", 1)
        if count:
            found[dimension].append(Row(code, count))
    for rows in found.values():
        rows.sort(key=lambda row: (-row.count, row.key))
    found["origin"] = requests_by(scope, period, "origin")
    found["reoriented"] = requests_by(scope, period, "reoriented")
    found["tags"] = requests_by(scope, period, "tags")
    return found


@dataclass(frozen=True)
class RequestMonth:
    month: date
    received: int
    oriented: int
    reoriented: int
    closed: int
    er_avoided: int = 0


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
            er_avoided=Count("pk", filter=ER_AVOIDED),
        )
        .order_by("month")
    )
    return [
        RequestMonth(_month(r["month"]), r["received"], r["oriented"], r["reoriented"], r["closed"], r["er_avoided"])
        for r in rows
    ]


@dataclass(frozen=True)
class EffectorRow:
    professional: str
    offered: int
    taken: int
    pk: int = 0  # the professional's, so that the rows of two periods add up (indicators/rollups.py)

    @property
    def fill_rate(self) -> float | None:
        return _rate(self.taken, self.offered)


def slots_per_effector(scope: Scope, period: Period) -> list[EffectorRow]:
    """Every effector who offered places in the period, the most first."""
    rows = (
        scope.slots(period)
        .filter(professional__isnull=False)
        .values("professional", "professional__first_name", "professional__last_name")
        .annotate(offered=Sum("capacity"), taken=Sum("booked"))
        .order_by("-offered", "professional__last_name")
    )
    return [
        EffectorRow(
            f"{r['professional__first_name']} {r['professional__last_name'].upper()}",
            r["offered"],
            r["taken"],
            r["professional"],
        )
        for r in rows
    ]


@dataclass(frozen=True)
class Professionals:
    adherents: int
    active_effectors: int  # professionals who offered at least one slot in the period


def professionals(scope: Scope, period: Period, effectors: list[EffectorRow] | None = None) -> Professionals:
    adherents = Professional.objects.filter(cell=scope.cell, is_active=True, is_adherent=True).count()
    if effectors is not None:  # the dashboard has them already
        return Professionals(adherents, len(effectors))
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


def compare(
    scope: Scope,
    period: Period,
    now: datetime,
    request_months: list[RequestMonth] | None = None,
    slot_months: list[SlotMonth] | None = None,
) -> Comparison:
    return Comparison(summary(scope, period, now, request_months, slot_months), summary(scope, period.previous(), now))
