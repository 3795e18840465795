"""Alert cascades (seed 003): when no published slot fits, the cell alerts eligible effectors in widening steps — the
patient's usual professional first, then those near the patient, then the whole territory — and the first who
accepts sees the patient."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from directory.models import Professional
from territory.models import Cell


class AlertPolicy(models.Model):
    """How a cell's cascades widen: each step's timeout, the radius of the second step, the appointment's length."""

    cell = models.OneToOneField(Cell, on_delete=models.CASCADE, related_name="alert_policy")
    usual_minutes = models.PositiveSmallIntegerField(
        _("minutes the usual professional has to answer"),
        default=15,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 60)],
    )
    nearby_minutes = models.PositiveSmallIntegerField(
        _("minutes the nearby effectors have to answer"),
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 60)],
    )
    nearby_km = models.PositiveSmallIntegerField(
        _("radius of the nearby step (km)"), default=15, validators=[MinValueValidator(1), MaxValueValidator(200)]
    )
    territory_minutes = models.PositiveSmallIntegerField(
        _("minutes the whole territory has to answer"),
        default=60,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 60)],
    )
    appointment_minutes = models.PositiveSmallIntegerField(
        _("length of the appointment an acceptance books (minutes)"),
        default=20,
        validators=[MinValueValidator(5), MaxValueValidator(240)],
    )

    class Meta:
        verbose_name = _("alert policy")
        verbose_name_plural = _("alert policies")

    def __str__(self) -> str:
        return str(self.cell)


class Step(models.IntegerChoices):
    USUAL = 1, _("Usual professional")
    NEARBY = 2, _("Nearby effectors")
    TERRITORY = 3, _("Whole territory")


class CascadeStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    ACCEPTED = "accepted", _("Accepted")
    EXHAUSTED = "exhausted", _("Nobody accepted")
    STOPPED = "stopped", pgettext_lazy("alert cascade", "Stopped")


class Cascade(models.Model):
    cell = models.ForeignKey(Cell, on_delete=models.PROTECT, related_name="cascades")
    request = models.ForeignKey("referrals.Request", on_delete=models.CASCADE, related_name="cascades")
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField()
    usual_professional = models.ForeignKey(
        Professional, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=CascadeStatus.choices, default=CascadeStatus.RUNNING, db_index=True
    )
    step = models.PositiveSmallIntegerField(_("step"), choices=Step.choices)
    step_ends_at = models.DateTimeField(_("step ends at"), db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]
        verbose_name = _("alert cascade")
        verbose_name_plural = _("alert cascades")
        constraints = [
            models.UniqueConstraint(
                fields=["request"], condition=models.Q(status="running"), name="cascade_one_running_per_request"
            )
        ]

    def __str__(self) -> str:
        return f"{self.request_id} {self.get_status_display()}"


class AlertStatus(models.TextChoices):
    SENT = "sent", _("Waiting for an answer")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    EXPIRED = "expired", _("No answer in time")
    CLOSED = "closed", _("Closed: taken by another or stopped")


class Alert(models.Model):
    """One effector alerted in one step; answered from the link in their SMS or e-mail."""

    cascade = models.ForeignKey(Cascade, on_delete=models.CASCADE, related_name="alerts")
    professional = models.ForeignKey(Professional, on_delete=models.PROTECT, related_name="alerts")
    step = models.PositiveSmallIntegerField(choices=Step.choices)
    token = models.CharField(max_length=43, unique=True)
    km = models.FloatField(null=True, blank=True)
    sent_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=AlertStatus.choices, default=AlertStatus.SENT)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["step", "pk"]
        constraints = [models.UniqueConstraint(fields=["cascade", "professional"], name="alert_once_per_professional")]

    def __str__(self) -> str:
        return f"{self.professional} ({self.get_status_display()})"
