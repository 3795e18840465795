from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import TruncDate
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext_lazy as _

from accounts.models import RequesterType
from common.care import CareChannel, ExamType, Modality
from common.periods import PARIS
from directory.models import AgreementStatus, PoolAgreement, Professional, Site, TeleconsultantTier
from referrals.models import Request
from territory.models import Cell, Commune


class SlotStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CANCELLED = "cancelled", _("Cancelled")


class Audience(models.Model):
    """Who may book, chosen by the professional (the cell's coordinators always may): shared by slots and plans.
    Kinds of requesters (the flags), and named professionals or sites of the cell (seed 004: the GPs of the imaging
    experiment, not every GP): a requester may book directly when either lets them (decision 0017)."""

    open_to_pharmacists = models.BooleanField(_("pharmacists"), default=False)
    open_to_sas = models.BooleanField(_("SAS regulators"), default=False)
    open_to_er = models.BooleanField(_("hospital emergency departments"), default=False)
    open_to_gps = models.BooleanField(_("GPs"), default=False)
    # No reverse accessor ("+"): the lists are read from the slot or plan, and checked by one EXISTS (`named`).
    open_to_professionals = models.ManyToManyField(
        Professional, blank=True, related_name="+", verbose_name=_("named professionals")
    )
    open_to_sites = models.ManyToManyField(Site, blank=True, related_name="+", verbose_name=_("named sites"))

    class Meta:
        abstract = True

    @property
    def named_names(self) -> list[str]:
        """The professionals' and sites' names it is open to by name (prefetch both lists when listing many)."""
        names = [str(professional) for professional in self.open_to_professionals.all()]
        return names + [site.name for site in self.open_to_sites.all()]


class AvailabilityPlan(Audience):
    """A recurring offer: on some weekdays, from a time to a time (Europe/Paris wall-clock), cut in slots of N
    minutes, between a first and a last day. Slots are generated ahead on a rolling horizon (`extend_plans`)."""

    cell = models.ForeignKey(Cell, on_delete=models.PROTECT, related_name="plans")
    professional = models.ForeignKey(
        Professional,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="plans",
        verbose_name=_("professional"),
    )
    site = models.ForeignKey(
        Site, on_delete=models.PROTECT, null=True, blank=True, related_name="plans", verbose_name=_("site")
    )
    weekdays = models.JSONField(_("days of the week"), default=list)  # 0 = Monday … 6 = Sunday
    start_time = models.TimeField(_("from"))
    end_time = models.TimeField(_("to"))
    minutes = models.PositiveSmallIntegerField(_("length of a slot (minutes)"), default=15)
    first_day = models.DateField(_("first day"))
    last_day = models.DateField(_("last day"))
    care_channel = models.CharField(_("care"), max_length=20, choices=CareChannel.choices)
    exam_type = models.CharField(_("exam"), max_length=20, choices=ExamType.choices, blank=True)
    modality = models.CharField(_("modality"), max_length=30, choices=Modality.choices)
    capacity = models.PositiveSmallIntegerField(_("patients per slot"), default=1)
    is_active = models.BooleanField(_("active"), default=True)
    # Off by default: no slot on the cell's public holidays (common.holidays, the cell's zone) unless ticked.
    open_on_holidays = models.BooleanField(_("open on public holidays"), default=False)
    generated_until = models.DateField(null=True, blank=True, editable=False)
    # A Médicobus stop: the tour it belongs to, and where the bus stands (its slots carry the place).
    tour = models.ForeignKey(
        "MedicobusTour", on_delete=models.CASCADE, null=True, blank=True, related_name="stops", editable=False
    )
    commune = models.ForeignKey(
        Commune, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("commune")
    )
    place = models.CharField(_("place"), max_length=150, blank=True)

    class Meta:
        ordering = ["first_day", "start_time", "pk"]
        verbose_name = _("recurring plan")
        verbose_name_plural = _("recurring plans")
        constraints = [
            models.CheckConstraint(condition=Q(start_time__lt=F("end_time")), name="plan_ends_after_start"),
            models.CheckConstraint(condition=Q(first_day__lte=F("last_day")), name="plan_last_day_after_first"),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="plan_capacity_at_least_1"),
            models.CheckConstraint(condition=~Q(care_channel="imaging") | ~Q(exam_type=""), name="plan_imaging_exam"),
        ]

    def __str__(self) -> str:
        days = ", ".join(self.weekday_names)
        return f"{self.professional or self.site} — {days} {self.start_time:%H:%M}–{self.end_time:%H:%M}"

    @property
    def weekday_names(self) -> list[str]:
        return [str(WEEKDAYS[day]) for day in sorted(self.weekdays)]


class Absence(models.Model):
    """A time a professional (or a whole site: a holiday, a closure) offers nothing: its free slots are withdrawn and
    no plan generates any there; booked slots are kept and listed, for a coordinator to move them."""

    cell = models.ForeignKey(Cell, on_delete=models.PROTECT, related_name="absences")
    professional = models.ForeignKey(
        Professional,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="absences",
        verbose_name=_("professional"),
    )
    site = models.ForeignKey(
        Site, on_delete=models.CASCADE, null=True, blank=True, related_name="absences", verbose_name=_("site")
    )
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("to"))
    reason = models.CharField(_("reason"), max_length=150, blank=True)

    class Meta:
        ordering = ["starts_at", "pk"]
        verbose_name = _("absence")
        verbose_name_plural = _("absences")
        constraints = [
            models.CheckConstraint(condition=Q(starts_at__lt=F("ends_at")), name="absence_ends_after_start"),
            models.CheckConstraint(
                condition=Q(professional__isnull=False) | Q(site__isnull=False), name="absence_of_someone"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.professional or self.site}: {self.starts_at:%Y-%m-%d} → {self.ends_at:%Y-%m-%d}"


# Which audience flag of a slot lets each kind of requester book it directly (seed 004); other kinds never do.
AUDIENCE_FLAG: dict[str, str] = {
    RequesterType.PHARMACIST: "open_to_pharmacists",
    RequesterType.SAS_REGULATOR: "open_to_sas",
    RequesterType.EMERGENCY: "open_to_er",
    RequesterType.GP: "open_to_gps",
}


def books_directly(requester_type: str) -> bool:
    """Whether requesters of this kind may book slots themselves, with their request (some slots are open to them)."""
    return requester_type in AUDIENCE_FLAG


def may_book_directly(
    requester_type: str, slot: Slot, *, professional_id: int | None = None, site_id: int | None = None
) -> bool:
    """Whether a requester of this kind, linked to this professional or site of the directory (their membership's),
    may book this slot directly: the slot is open to their kind, or names their professional or site (the cell's
    coordinators always may; they do not go through this rule). The named lists cost one query, only when the kind
    does not already let them."""
    flag = AUDIENCE_FLAG.get(requester_type)
    if flag is not None and getattr(slot, flag):
        return True
    if professional_id is None and site_id is None:
        return False
    return Slot.objects.filter(named(professional_id, site_id), pk=slot.pk).exists()


def named_slot_ids(professional_id: int | None, site_id: int | None) -> QuerySet[Any]:
    """The ids of the slots whose named lists include this professional or this site: a subquery, the UNION of the
    two lists' rows, each read by its own index (never a join that would repeat a slot)."""
    lists: list[QuerySet[Any, Any]] = []
    if professional_id is not None:
        lists.append(Slot.open_to_professionals.through.objects.filter(professional=professional_id).values("slot_id"))
    if site_id is not None:
        lists.append(Slot.open_to_sites.through.objects.filter(site=site_id).values("slot_id"))
    if not lists:
        return Slot.objects.none().values("pk")
    return lists[0].union(*lists[1:]) if len(lists) > 1 else lists[0]


def named(professional_id: int | None, site_id: int | None) -> Q:
    """Slots whose named lists include this professional or this site (`named_slot_ids`; nobody named: no slot)."""
    return Q(pk__in=named_slot_ids(professional_id, site_id))


# The order in which a telemedicine spot's time pairs a teleconsultant, and in which the finder and the placement
# assistant expect it: the territory's volunteers, then the regional pool, then extra-territorial doctors; a doctor
# with no tier last. One table, read by Python (`tier_rank`) and by SQL (`TIER_RANK`, `SlotQuerySet.in_tier_order`).
TIER_ORDER: dict[str, int] = {
    TeleconsultantTier.LOCAL: 0,
    TeleconsultantTier.REGIONAL: 1,
    TeleconsultantTier.EXTRA_TERRITORIAL: 2,
}
UNRANKED_TIER = 3
TIER_RANK = Case(
    *[When(professional__teleconsultant_tier=tier, then=Value(rank)) for tier, rank in TIER_ORDER.items()],
    default=Value(UNRANKED_TIER),
)


def tier_rank(tier: str) -> int:
    """A teleconsultant tier's place in the pairing order (TIER_ORDER)."""
    return TIER_ORDER.get(tier, UNRANKED_TIER)


# Pools shared by several cells (decision 0021): a professional's slots live in their home cell; another cell sees
# the free ones of the days an accepted agreement covers, with the tier the agreement gives them for that cell.


def pool_agreements_covering(cell_id: int) -> QuerySet[PoolAgreement]:
    """The accepted agreements sharing the outer slot's professional with the cell on the slot's (Europe/Paris) day:
    an EXISTS or a scalar subquery of a slot query (its partial index `pool_agreement_accepted` answers it)."""
    # Wrapped: TruncDate asks its argument's type, which an outer reference does not know yet.
    day = TruncDate(ExpressionWrapper(OuterRef("starts_at"), output_field=DateTimeField()), tzinfo=PARIS)
    return PoolAgreement.objects.filter(
        Q(ends_on__isnull=True) | Q(ends_on__gte=day),
        cell=cell_id,
        status=AgreementStatus.ACCEPTED,
        professional=OuterRef("professional_id"),
        starts_on__lte=day,
    )


class InSubquery(Func):
    """`column IN (subquery)`, for a subquery that does not refer to the outer query. On PostgreSQL written
    `= ANY(ARRAY(…))`: computed once (an InitPlan; a correlated subquery would run for every row), it is an index
    condition, so that an OR of such conditions reads each one's index (a BitmapOr) instead of every row the other
    conditions leave (an `IN (subquery)` under an OR is a filter on each row)."""

    output_field = BooleanField()
    conditional = True

    def __init__(self, column: Any, subquery: Any) -> None:
        super().__init__(column, Subquery(subquery))

    def as_sql(self, compiler: Any, connection: Any, **extra_context: Any) -> tuple[str, tuple[Any, ...]]:  # type: ignore[override]
        column, params = compiler.compile(self.source_expressions[0])
        subquery, subparams = compiler.compile(self.source_expressions[1])
        return f"{column} IN {subquery}", (*params, *subparams)

    def as_postgresql(self, compiler: Any, connection: Any, **extra_context: Any) -> tuple[str, tuple[Any, ...]]:
        column, params = compiler.compile(self.source_expressions[0])
        subquery, subparams = compiler.compile(self.source_expressions[1])
        return f"{column} = ANY(ARRAY{subquery})", (*params, *subparams)


class InPool(InSubquery):
    """`professional_id IN (the cell's pool professionals)`, so that `cell = X OR <in the pool>` reads two indexes."""

    def __init__(self, cell_id: int) -> None:
        professionals = PoolAgreement.objects.filter(cell=cell_id, status=AgreementStatus.ACCEPTED).values(
            "professional_id"
        )
        super().__init__(F("professional_id"), professionals)


def seen_by(cell_id: int) -> Q:
    """Slots a cell finds and books: its own, and its pool's (a professional of another cell shared with it by an
    accepted agreement covering the slot's day)."""
    return Q(cell=cell_id) | (Q(InPool(cell_id)) & Q(Exists(pool_agreements_covering(cell_id))))


def tier_for(cell_id: int) -> Case:
    """A slot's teleconsultant tier for the cell: the professional's own for the cell's slots, the agreement's for
    the pool's."""
    return Case(
        When(cell=cell_id, then=F("professional__teleconsultant_tier")),
        default=Subquery(pool_agreements_covering(cell_id).order_by("starts_on").values("tier")[:1]),
        output_field=CharField(),
    )


# The longest slot the agenda makes (publishing and plans cut slots of 5 minutes to 4 hours).
SLOT_MAX_LENGTH = timedelta(hours=4)


class SlotQuerySet(models.QuerySet["Slot"]):
    """The agenda's rules on slots, written once: what is free, who may book it, the teleconsultants' order."""

    def with_place_left(self) -> SlotQuerySet:
        """Open (not withdrawn) with a place left, whenever it starts: the conditional UPDATE that takes the place
        of a teleconsultant's time paired with a spot's time (whose start was checked), the SAS search (its window)."""
        return self.filter(status=SlotStatus.OPEN, booked__lt=F("capacity"))

    def free(self, now: datetime) -> SlotQuerySet:
        """Free at `now`: open, starting after `now`, a place left (`Slot.is_free` says the same of one slot)."""
        return self.with_place_left().filter(starts_at__gt=now)

    def bookable(self) -> SlotQuerySet:
        """Slots that may be booked on their own: a teleconsultant's own time is only ever paired with a telemedicine
        spot's time."""
        return self.exclude(Q(modality=Modality.ASSISTED_TELECONSULTATION) & Q(site__isnull=True))

    def open_to(
        self, requester_type: str, *, professional_id: int | None = None, site_id: int | None = None
    ) -> SlotQuerySet:
        """Those a requester of this kind (linked to this professional or site) may book directly
        (`may_book_directly`): open to their kind, or naming them. Without a professional nor a site (the SAS
        platform's search), the kind alone: named lists never open a slot to a whole kind."""
        flag = AUDIENCE_FLAG.get(requester_type)
        if professional_id is None and site_id is None:
            return self.filter(**{flag: True}) if flag is not None else self.none()
        allowed = named(professional_id, site_id)
        return self.filter(Q(**{flag: True}) | allowed if flag is not None else allowed)

    def teleconsultant_times(self) -> SlotQuerySet:
        """Teleconsultant doctors' own times (no site) with a place left, whenever they start (a spot's time checks
        its start): the partial index `slot_teleconsultant_time`'s condition word for word, so that the pairing
        reads that index, and a place left."""
        return self.filter(
            modality=Modality.ASSISTED_TELECONSULTATION,
            site__isnull=True,
            professional__isnull=False,
            status=SlotStatus.OPEN,
            booked__lt=F("capacity"),
        )

    def seen_by(self, cell_id: int) -> SlotQuerySet:
        """The cell's own slots and its pool's (`seen_by`)."""
        return self.filter(seen_by(cell_id))

    def covering(self, starts_at: datetime, ends_at: datetime) -> SlotQuerySet:
        """Times that cover from `starts_at` to `ends_at` (for the finder, the window from its spots' earliest end
        to their latest start). A slot lasts at most SLOT_MAX_LENGTH (the publishing and plans' rule), so a time
        covering the end started at most that long before it: both bounds on the start, which the teleconsultant
        indexes read as one short range (a lower bound on the end alone read every later time up to the horizon)."""
        return self.filter(starts_at__lte=starts_at, ends_at__gte=ends_at, starts_at__gte=ends_at - SLOT_MAX_LENGTH)

    def in_tier_order(self, cell_id: int | None = None) -> SlotQuerySet:
        """Teleconsultants' times in pairing order: tier (annotated as `tier_rank`, the tier itself as `cell_tier`),
        then the earliest, then the oldest made. Given a cell, the pool's times rank with the tier their agreement
        gives them for that cell."""
        if cell_id is None:
            ranked = self.annotate(cell_tier=F("professional__teleconsultant_tier"), tier_rank=TIER_RANK)
        else:
            ranked = self.annotate(cell_tier=tier_for(cell_id)).annotate(
                tier_rank=Case(
                    *[When(cell_tier=tier, then=Value(rank)) for tier, rank in TIER_ORDER.items()],
                    default=Value(UNRANKED_TIER),
                )
            )
        return ranked.order_by("tier_rank", "starts_at", "pk")


class Slot(Audience):
    """A time an effector offers for unscheduled care. `booked` counts its active bookings; the database refuses
    more than `capacity` (constraint), and booking goes through a conditional update (no lost race)."""

    cell = models.ForeignKey(Cell, on_delete=models.PROTECT, related_name="slots")
    professional = models.ForeignKey(
        Professional,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="slots",
        verbose_name=_("professional"),
    )
    site = models.ForeignKey(
        Site, on_delete=models.PROTECT, null=True, blank=True, related_name="slots", verbose_name=_("site")
    )
    starts_at = models.DateTimeField(_("start"), db_index=True)
    ends_at = models.DateTimeField(_("end"))
    care_channel = models.CharField(_("care"), max_length=20, choices=CareChannel.choices)
    exam_type = models.CharField(_("exam"), max_length=20, choices=ExamType.choices, blank=True)
    modality = models.CharField(_("modality"), max_length=30, choices=Modality.choices)
    capacity = models.PositiveSmallIntegerField(_("capacity"), default=1)
    booked = models.PositiveSmallIntegerField(default=0, editable=False)
    status = models.CharField(max_length=10, choices=SlotStatus.choices, default=SlotStatus.OPEN)
    plan = models.ForeignKey(
        AvailabilityPlan, on_delete=models.SET_NULL, null=True, blank=True, related_name="slots", editable=False
    )
    # Where, when not at a site (a Médicobus stop): the commune gives the distance, the place tells the patient.
    commune = models.ForeignKey(
        Commune, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("commune")
    )
    place = models.CharField(_("place"), max_length=150, blank=True)
    # Set when a change (plan, tour, absence) left this booked slot where it was: a coordinator should check it.
    attention = models.CharField(_("to check"), max_length=200, blank=True)

    objects = SlotQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at", "pk"]
        indexes = [
            models.Index(fields=["cell", "status", "care_channel", "starts_at"], name="slot_finder"),
            # The SAS platform's search (INT_R04): a few professionals' slots in a window, across cells.
            models.Index(fields=["professional", "starts_at"], name="slot_professional_start"),
            # The teleconsultants' free times that could pair with spots' times (finder, booking): by start, read
            # between two bounds (SlotQuerySet.covering), so that neither the past nor the times up to the horizon
            # are read to keep a few.
            models.Index(
                fields=["cell", "care_channel", "starts_at", "ends_at"],
                name="slot_teleconsultant_time",
                condition=Q(
                    modality=Modality.ASSISTED_TELECONSULTATION,
                    site__isnull=True,
                    professional__isnull=False,
                    status=SlotStatus.OPEN,
                ),
            ),
            # The same times of the professionals other cells share with a cell (decision 0021): the pool's half of
            # the pairing's `cell = X OR professional IN (pool)` (a BitmapOr of this index and the one above).
            models.Index(
                fields=["professional", "care_channel", "starts_at", "ends_at"],
                name="slot_teleconsultant_pool",
                condition=Q(
                    modality=Modality.ASSISTED_TELECONSULTATION,
                    site__isnull=True,
                    professional__isnull=False,
                    status=SlotStatus.OPEN,
                ),
            ),
            # The slots open to a kind of requester, soonest first (`agenda.selectors.slots_open_to`, the requester's
            # form): only that kind's open slots, in order, so that a LIMIT stops after a few rows. Without them the
            # planner read every future slot of every cell in start order to find none (250 ms on the load test's
            # region, where no slot is open to pharmacists).
            *[
                models.Index(
                    fields=["cell", "starts_at"],
                    name=f"slot_{flag}",
                    condition=Q(**{flag: True}, status=SlotStatus.OPEN),
                )
                for flag in AUDIENCE_FLAG.values()
            ],
        ]
        constraints = [
            models.CheckConstraint(condition=Q(starts_at__lt=F("ends_at")), name="slot_ends_after_start"),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="slot_capacity_at_least_1"),
            models.CheckConstraint(condition=Q(booked__lte=F("capacity")), name="slot_never_overbooked"),
            models.CheckConstraint(condition=~Q(care_channel="imaging") | ~Q(exam_type=""), name="slot_imaging_exam"),
        ]

    def __str__(self) -> str:
        return f"{self.starts_at:%Y-%m-%d %H:%M} {self.professional or self.site}"

    @property
    def free(self) -> int:
        return self.capacity - self.booked

    @property
    def point(self) -> tuple[float, float] | None:
        """Where the patient goes: the stop's commune, else the site's point."""
        if self.commune_id is not None and self.commune is not None and self.commune.has_point:
            return (self.commune.latitude, self.commune.longitude)  # type: ignore[return-value]
        return self.site.point if self.site_id is not None and self.site is not None else None

    @property
    def is_teleconsultant_time(self) -> bool:
        """A remote doctor's time for assisted teleconsultations: paired with a spot's slot, never booked alone."""
        return self.modality == Modality.ASSISTED_TELECONSULTATION and self.site_id is None

    @property
    def is_spot_time(self) -> bool:
        """A telemedicine spot's time (an IDEL with the patient): booking it pairs a teleconsultant's time."""
        return self.modality == Modality.ASSISTED_TELECONSULTATION and self.site_id is not None

    def is_free(self, now: datetime) -> bool:
        """As `SlotQuerySet.free`, for a slot already read: open, starting after `now`, a place left."""
        return self.status == SlotStatus.OPEN and self.starts_at > now and self.booked < self.capacity

    def is_not_taken(self, now: datetime) -> bool:
        """Offered, passed, and nobody booked it: kept as such for the indicators (fill rate)."""
        return self.status == SlotStatus.OPEN and self.ends_at <= now and self.booked == 0


class BookingStatus(models.TextChoices):
    BOOKED = "booked", _("Booked")
    CANCELLED = "cancelled", _("Cancelled")
    SEEN = "seen", _("Seen")
    NO_SHOW = "no_show", _("No-show")


class Booking(models.Model):
    """A request placed in a slot: the orientation of the request."""

    slot = models.ForeignKey(Slot, on_delete=models.PROTECT, related_name="bookings")
    request = models.ForeignKey(Request, on_delete=models.PROTECT, related_name="bookings")
    booked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    booked_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=BookingStatus.choices, default=BookingStatus.BOOKED)
    cancelled_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # An assisted teleconsultation: the teleconsultant doctor's time booked with the spot's, in the same transaction.
    paired_slot = models.ForeignKey(
        "Slot", on_delete=models.PROTECT, null=True, blank=True, related_name="paired_bookings"
    )
    # The patient's cancel link (in their SMS): a random secret, only for this booking, until an hour before.
    cancel_token = models.CharField(max_length=32, unique=True, null=True, blank=True, editable=False)
    follow_up_needed = models.BooleanField(_("follow-up needed"), default=False)
    outcome_note = models.TextField(_("note for the médecin traitant"), blank=True)
    # Who recorded seen / no-show, and when: the effector from their appointments, or a coordinator.
    outcome_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    outcome_at = models.DateTimeField(null=True, blank=True, editable=False)
    # What the cell wants the effector to know (access, interpreter, who answers the phone…): shown with the
    # appointment to its effectors only; kept when the appointment moves.
    effector_note = models.TextField(_("note for the effector"), blank=True)
    # Which session of the request's series it is (1 for a single appointment); a cancelled one frees its number.
    session = models.PositiveSmallIntegerField(_("session"), default=1)

    class Meta:
        ordering = ["booked_at", "pk"]
        constraints = [
            # One appointment per session of the request (a single appointment is session 1): booked or recorded.
            models.UniqueConstraint(
                fields=["request", "session"], condition=~Q(status="cancelled"), name="booking_one_per_session"
            ),
            models.CheckConstraint(condition=Q(session__gte=1), name="booking_session_from_one"),
        ]

    def __str__(self) -> str:
        return f"{self.request_id} → {self.slot_id}"

    def paired_tier_label(self) -> str:
        """The paired teleconsultant's tier for the booking cell (the request's: the cell the pairing ranked them for,
        `teleconsultant_tier_label`)."""
        if self.paired_slot is None:
            return ""
        return teleconsultant_tier_label(self.paired_slot, self.request.cell_id)


def teleconsultant_tier_label(paired: Slot, cell_id: int) -> str:
    """The tier a teleconsultant's time has for the booking cell: their own in their cell, the agreement's for a cell
    they are shared with (decision 0021: a regional doctor of one cell may be another's local
    volunteer, or the reverse). One query for a pool's time, none for the cell's own."""
    if paired.professional is None:
        return ""
    if paired.cell_id == cell_id:
        return str(paired.professional.get_teleconsultant_tier_display())
    tier = Slot.objects.filter(pk=paired.pk).annotate(tier=tier_for(cell_id)).values_list("tier", flat=True).first()
    if not tier:
        # A booking kept beyond an agreement shortened since: the tier of the cell's latest agreement with them.
        agreements = PoolAgreement.objects.filter(
            professional=paired.professional_id, cell=cell_id, status=AgreementStatus.ACCEPTED
        )
        tier = agreements.order_by("-starts_on", "-pk").values_list("tier", flat=True).first()
    return str(TeleconsultantTier(tier).label) if tier else ""


class Relay(models.TextChoices):
    """Who takes over after an assisted teleconsultation, as the spot's IDEL arranged it with the patient."""

    NONE = "none", _("Nobody: the patient knows what to do")
    PHARMACY = "pharmacy", _("A pharmacy")
    NURSE = "nurse", _("A nurse (IDEL)")
    GP = "gp", _("The médecin traitant")
    OTHER = "other", _("Someone else")


class TeleconsultationDebrief(models.Model):
    """After an assisted teleconsultation, the spot's IDEL checks with the patient that the diagnosis and the next
    steps are understood, and says who takes over (seed 001). One per appointment."""

    booking = models.OneToOneField(Booking, on_delete=models.CASCADE, related_name="debrief")
    understanding_checked = models.BooleanField(_("the patient understood the diagnosis and the next steps"))
    next_steps = models.TextField(_("next steps"))
    relay = models.CharField(_("relay"), max_length=10, choices=Relay.choices)
    relay_note = models.CharField(_("relay: who, when"), max_length=300, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()

    class Meta:
        verbose_name = _("debrief of an assisted teleconsultation")
        verbose_name_plural = _("debriefs of assisted teleconsultations")

    def __str__(self) -> str:
        return f"{self.booking_id}: {self.relay}"


class MedicobusTour(models.Model):
    """A weekly tour of the Médicobus: its stops (commune, place, day, hours) are plans of the tour's doctor."""

    cell = models.ForeignKey(Cell, on_delete=models.PROTECT, related_name="tours")
    name = models.CharField(_("name"), max_length=150)
    site = models.ForeignKey(
        Site, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("vehicle")
    )
    doctor = models.ForeignKey(Professional, on_delete=models.PROTECT, related_name="+", verbose_name=_("doctor"))
    assistant = models.ForeignKey(
        Professional,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("medical assistant"),
    )
    minutes = models.PositiveSmallIntegerField(_("length of a consultation (minutes)"), default=20)
    first_day = models.DateField(_("first day"))
    last_day = models.DateField(_("last day"))
    is_active = models.BooleanField(_("active"), default=True)
    open_on_holidays = models.BooleanField(_("open on public holidays"), default=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("Médicobus tour")
        verbose_name_plural = _("Médicobus tours")

    def __str__(self) -> str:
        return self.name


class TelemedicineSpot(models.Model):
    """A telemedicine spot open for a period, on some days and hours, with the IDEL on duty who assist the patient.
    Its times are a plan of the spot's site; each booking pairs a teleconsultant doctor's time, in tier order."""

    cell = models.ForeignKey(Cell, on_delete=models.PROTECT, related_name="spots")
    site = models.OneToOneField(Site, on_delete=models.PROTECT, related_name="spot", verbose_name=_("site"))
    nurses = models.ManyToManyField(Professional, related_name="spots", blank=True, verbose_name=_("IDEL on duty"))
    plan = models.OneToOneField(
        AvailabilityPlan, on_delete=models.PROTECT, null=True, blank=True, related_name="spot", editable=False
    )

    class Meta:
        verbose_name = _("telemedicine spot")
        verbose_name_plural = _("telemedicine spots")

    def __str__(self) -> str:
        return self.site.name


class OpeningPeriod(models.Model):
    """A season of a plan (decision 0007): a telemedicine spot's plan, or each stop of a Médicobus tour, generates
    only within its periods; the plan's first and last day are then the bounds of its periods. A plan without
    periods (a GP's plan, a spot or tour saved before seasons) runs from its first to its last day."""

    plan = models.ForeignKey(AvailabilityPlan, on_delete=models.CASCADE, related_name="periods")
    first_day = models.DateField(_("first day"))
    last_day = models.DateField(_("last day"))

    class Meta:
        ordering = ["first_day", "pk"]
        verbose_name = _("opening period")
        verbose_name_plural = _("opening periods")
        constraints = [
            models.CheckConstraint(condition=Q(first_day__lte=F("last_day")), name="period_last_day_after_first"),
        ]

    def __str__(self) -> str:
        return f"{self.first_day:%d/%m/%Y}–{self.last_day:%d/%m/%Y}"


class CalendarFeed(models.Model):
    """A professional's iCalendar feed on a secret, revocable address (for their own calendar software)."""

    professional = models.OneToOneField(Professional, on_delete=models.CASCADE, related_name="calendar_feed")
    token = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.professional}"
