"""Messages sent by Aiguillage, kept as an outbox: a message is a row written in the same transaction as the change it
reports (a rolled-back change leaves no message), then sent after the commit."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from territory.models import Cell


class MessageChannel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")
    # A secure health messaging e-mail, through the MSSanté relay (docs/mssante.md).
    MSSANTE = "mssante", _("MSSanté")


class MessageKind(models.TextChoices):
    REQUEST_RECEIVED = "request_received", _("Request received")
    REQUEST_ORIENTED = "request_oriented", _("Request oriented")
    REQUEST_REORIENTED = "request_reoriented", _("Request reoriented")
    REQUEST_CLOSED = "request_closed", _("Request closed")
    APPOINTMENT_MOVED = "appointment_moved", _("Appointment moved")
    PATIENT_BOOKED = "patient_booked", _("Appointment confirmed to the patient")
    PATIENT_REMINDER = "patient_reminder", _("Reminder to the patient the day before")
    PATIENT_CANCELLED = "patient_cancelled", _("Cancellation told to the patient")
    PATIENT_REORIENTED = "patient_reoriented", _("Where to go, told to a reoriented patient")
    SUPERVISOR_ASKED = "supervisor_asked", _("A question waiting for the supervising doctor")
    DEADLINE_NEAR = "deadline_near", _("A request still waiting as its deadline nears")
    EFFECTOR_BOOKED = "effector_booked", _("New appointment told to the effector")
    EFFECTOR_CANCELLED = "effector_cancelled", _("Cancellation told to the effector")
    EFFECTOR_MOVED = "effector_moved", _("Change told to the effector")
    MT_SUMMARY = "mt_summary", _("Summary to the médecin traitant")
    EFFECTOR_ALERT = "effector_alert", _("Alert to an effector")
    ALERT_TAKEN = "alert_taken", _("Alert taken by another effector")
    ALERTS_EXHAUSTED = "alerts_exhausted", _("Nobody accepted the alerts")
    ALERT_ACCEPTED = "alert_accepted", _("An effector accepted the alert")
    SURVEY = "survey", _("Satisfaction survey")
    PATIENT_SURVEY = "patient_survey", _("Satisfaction survey to the patient")
    CAPACITY_REQUEST = "capacity_request", _("Request to publish slots")
    QUESTIONNAIRE = "questionnaire", _("Questionnaire on SNP practices")


# The kinds whose text carries health details (a birth date, the care, the consultation's note, a debrief): they leave
# only through the MSSanté relay, else as a plain notice with a link to read them after logging in (docs/mssante.md).
# Every other kind names the patient by initials at most, says when and where, and links to Aiguillage: the requester's
# news, the effectors' appointments, the supervisor's question, the deadline, the alerts, the surveys; the patient's
# own SMS (about their appointment, to them) carry no care nor reason.
CARRIES_HEALTH_DETAILS = frozenset({MessageKind.MT_SUMMARY})

# The kinds sent to the patient's own phone: none leaves for a number whose patient declined messages (`OptOut`), even
# when the refusal came after the message was queued.
PATIENT_KINDS = frozenset(
    {
        MessageKind.PATIENT_BOOKED,
        MessageKind.PATIENT_REMINDER,
        MessageKind.PATIENT_CANCELLED,
        MessageKind.PATIENT_REORIENTED,
        MessageKind.PATIENT_SURVEY,
    }
)


class MessageStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Not sent")
    OPTED_OUT = "opted_out", _("Not sent: the patient declined messages")


class Message(models.Model):
    cell = models.ForeignKey(Cell, on_delete=models.CASCADE, related_name="messages")
    request = models.ForeignKey(
        "referrals.Request", on_delete=models.CASCADE, null=True, blank=True, related_name="messages"
    )
    kind = models.CharField(_("kind"), max_length=30, choices=MessageKind.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=MessageChannel.choices)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The professional a message with health details is for: who may read its `details` after logging in.
    professional = models.ForeignKey(
        "directory.Professional", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    to = models.CharField(_("recipient"), max_length=254)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("text"))
    # The health details a message stands for (CARRIES_HEALTH_DETAILS): its text when it goes through MSSanté; else
    # its text is a notice without them, and they are read here, after logging in (`views.HealthMessageRead`).
    details = models.TextField(_("health details"), blank=True)
    # What the message is about (kind and the timeline line it reports): the same news is never queued twice.
    key = models.CharField(max_length=100, unique=True)
    status = models.CharField(
        _("status"), max_length=10, choices=MessageStatus.choices, default=MessageStatus.QUEUED, db_index=True
    )
    created_at = models.DateTimeField(_("queued at"))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # When the next try may be made: after a temporary failure, or, set when it is queued, not before this time.
    next_try_at = models.DateTimeField(_("next try"), null=True, blank=True)
    # When a sender claimed it: a message still "sending" long after was left by a worker that died mid-send.
    claimed_at = models.DateTimeField(null=True, blank=True)
    # The last try may have reached the recipient's provider without its answer reaching us (timed out, connection
    # dropped, or its sender died mid-send): the next try asks the provider first (`services.message_send`).
    outcome_unknown = models.BooleanField(default=False)
    error = models.TextField(blank=True)
    provider_id = models.CharField(_("provider's reference"), max_length=100, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.to}"


class OptOut(models.Model):
    """A patient who does not want messages at this address (phone in E.164, or e-mail): nothing is sent there."""

    cell = models.ForeignKey(Cell, on_delete=models.CASCADE, related_name="opt_outs")
    address = models.CharField(_("address"), max_length=254)
    at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["cell", "address"], name="opt_out_once_per_address")]
        verbose_name = _("opt-out")
        verbose_name_plural = _("opt-outs")

    def __str__(self) -> str:
        return self.address


class MessageTemplate(models.Model):
    """A cell's own wording of a message to patients (see `templating`)."""

    cell = models.ForeignKey(Cell, on_delete=models.CASCADE, related_name="message_templates")
    kind = models.CharField(_("message"), max_length=30, choices=MessageKind.choices)
    text = models.TextField(_("text"))
    updated_at = models.DateTimeField()
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["cell", "kind"], name="message_template_once_per_kind")]
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")

    def __str__(self) -> str:
        return f"{self.cell_id} {self.kind}"
