from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from directory.models import Professional, Site
from referrals.models import CareChannel, ExamType, Modality, Request
from territory.models import Cell


class SlotStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CANCELLED = "cancelled", _("Cancelled")


class Slot(models.Model):
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
    # Who may book it, chosen by the professional (coordinators of the cell always may).
    open_to_pharmacists = models.BooleanField(_("pharmacists"), default=False)
    open_to_sas = models.BooleanField(_("SAS regulators"), default=False)
    open_to_er = models.BooleanField(_("hospital emergency departments"), default=False)
    open_to_gps = models.BooleanField(_("GPs"), default=False)

    class Meta:
        ordering = ["starts_at", "pk"]
        indexes = [models.Index(fields=["cell", "status", "care_channel", "starts_at"], name="slot_finder")]
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
    follow_up_needed = models.BooleanField(_("follow-up needed"), default=False)
    outcome_note = models.TextField(_("note for the médecin traitant"), blank=True)

    class Meta:
        ordering = ["booked_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["request"], condition=Q(status="booked"), name="booking_one_active_per_request"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.request_id} → {self.slot_id}"


class CalendarFeed(models.Model):
    """A professional's iCalendar feed on a secret, revocable address (for their own calendar software)."""

    professional = models.OneToOneField(Professional, on_delete=models.CASCADE, related_name="calendar_feed")
    token = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.professional}"
