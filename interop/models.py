from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from agenda.models import Booking
from referrals.models import Request


class SasRegulator(models.Model):
    """A SAS regulator's account, as the SAS platform manages it (INT_R02): a requester of the cells that take
    SAS regulators. Known by a national identifier (IDNPS: 8 + RPPS, or another prefixed national id) once they
    have one, by the SAS platform's technical identifier before."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="sas_regulator")
    national_id = models.CharField(_("national identifier"), max_length=64, null=True, blank=True, unique=True)
    sas_id = models.CharField(_("SAS technical identifier"), max_length=64, null=True, blank=True, unique=True)
    is_active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("SAS regulator")
        verbose_name_plural = _("SAS regulators")
        constraints = [
            models.CheckConstraint(
                condition=Q(national_id__isnull=False) | Q(sas_id__isnull=False), name="sas_regulator_identified"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user.get_full_name()} ({self.national_id or self.sas_id})"


class FhirServiceRequest(models.Model):
    """A request received as a FHIR ServiceRequest: which client sent it under which identifier (the same
    identifier twice makes one request), so that only that client reads it back."""

    request = models.OneToOneField(Request, on_delete=models.CASCADE, related_name="fhir_origin")
    client_subject = models.CharField(max_length=500)
    identifier_system = models.CharField(max_length=200, blank=True)
    identifier_value = models.CharField(max_length=64, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.request_id} ← {self.client_subject}"


class PushStatus(models.TextChoices):
    PENDING = "pending", _("To send")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Given up")


class AppointmentPush(models.Model):
    """INT_R03: an appointment booked by a SAS regulator in a slot published to the SAS, kept in step with the SAS
    platform. Each change raises `version`; the worker sends the booking's state as it is then (never an old
    snapshot), first by POST, then by conditional PUT on our identifier, and notes the version the platform has."""

    booking = models.OneToOneField(Booking, on_delete=models.CASCADE, related_name="sas_push")
    identifier = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Kept as first sent: a later change of the installation's address must not make the updates miss.
    identifier_system = models.CharField(max_length=200)
    operator_system = models.CharField(max_length=200)
    operator_value = models.CharField(max_length=64)
    version = models.PositiveIntegerField(default=1)
    sent_version = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=10, choices=PushStatus.choices, default=PushStatus.PENDING)
    created_remotely = models.BooleanField(default=False)  # a POST may have reached the platform: PUT from then on
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(db_index=True)
    # A worker that claimed the push sends it until then; another worker leaves it alone (no double send).
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    last_sent_status = models.CharField(max_length=12, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("appointment sent to the SAS")
        verbose_name_plural = _("appointments sent to the SAS")

    def __str__(self) -> str:
        return f"{self.identifier} ({self.get_status_display()})"
