"""The access log (traçabilité): one row per read, creation, change or export of a patient's data.

Rows are only ever added. The database refuses UPDATE and DELETE on the table (triggers, see `guard.py`; on
PostgreSQL the application's role may also lack the privileges, see SECURITY.md), and each row carries an HMAC of its
content chained to the previous row's (`chain.py`), so that `manage.py verify_access_log` detects a changed or deleted
row even when someone with the database's keys went round the triggers.

Users and cells are referenced without database constraints: the log outlives them, and keeps the name it saw.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from territory.models import Cell


class AccessAction(models.TextChoices):
    READ = "read", _("Consultation")
    LIST = "list", _("List")
    CREATE = "create", _("Creation")
    CHANGE = "change", pgettext_lazy("access log", "Change")
    EXPORT = "export", _("Export")
    ANONYMISE = "anonymise", _("Anonymisation")
    PURGE = "purge", _("Purge of the access log")
    LOGIN = "login", _("Login")
    LOGIN_FAILED = "login_failed", _("Failed login")
    SECURITY = "security", _("Security setting")


# What was reached, as people read it in the log (the stored value stays the code).
OBJECT_LABELS = {
    "request": _("Request"),
    "queue": _("Queue"),
    "request_search": _("Request search"),
    "requests_sent": _("Requests sent"),
    "supervisor_questions": _("Questions to the supervisor"),
    "calendar": _("Agenda"),
    "placement": _("Placement assistant"),
    "booking": _("Appointment (patient's link)"),
    "appointments": _("Effector's appointments"),
    "appointment": _("Appointment (effector)"),
    "appointment_slip": _("Appointment slip (PDF)"),
    "day_sheet": _("Day sheet"),
    "day_sheet_pdf": _("Day sheet (PDF)"),
    "alert": _("Alert (effector's link)"),
    "message": _("Message"),
    "messages": _("Messages sent"),
    "access_log": _("Access log"),
    "access_log_search": _("Access log search"),
    "patient_rights": _("Patient's rights"),
    "patient_rights_search": _("Patients' rights search"),
    "patient_record": _("Patient's record"),
    "retention": _("Retention period over"),
    "session": _("Session"),
    "second_factor": _("Two-factor authentication"),
    "membership": _("Member"),
    "account": _("Account"),
    "fhir_request": _("Request (FHIR)"),
}


class AccessEvent(models.Model):
    at = models.DateTimeField(_("when"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("user"),
    )
    # Who, as seen at the time: a username, or "patient" (a link sent to the patient), or "system" (a scheduled job).
    actor = models.CharField(_("who"), max_length=150)
    cell = models.ForeignKey(
        Cell,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("cell"),
    )
    action = models.CharField(_("action"), max_length=20, choices=AccessAction.choices)
    object_type = models.CharField(_("object"), max_length=30)
    object_id = models.CharField(max_length=80, blank=True)
    # The requests (one patient each) whose data was reached, as ",12,15," so that a search by patient finds lists too.
    subjects = models.TextField(blank=True)
    detail = models.CharField(_("detail"), max_length=300, blank=True)
    ip = models.GenericIPAddressField(_("from"), null=True, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("access log entry")
        verbose_name_plural = _("access log")
        indexes = [
            models.Index(fields=["cell", "at"], name="audit_event_cell_at"),
            models.Index(fields=["user", "at"], name="audit_event_user_at"),
            models.Index(fields=["at"], name="audit_event_at"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor} {self.action} {self.object_type} {self.object_id}"

    @property
    def object_label(self) -> str:
        return str(OBJECT_LABELS.get(self.object_type, self.object_type))

    @property
    def subject_ids(self) -> list[int]:
        return [int(part) for part in self.subjects.split(",") if part]


class DataPolicy(models.Model):
    """How long a cell keeps the personal data of its patients once their request is over (RGPD: no longer than
    needed). After that, `anonymise_requests` (daily) removes it; the request stays for the statistics."""

    cell = models.OneToOneField(Cell, on_delete=models.CASCADE, related_name="data_policy", verbose_name=_("cell"))
    request_months = models.PositiveSmallIntegerField(
        _("months personal data is kept after a request ends"),
        default=24,
        validators=[MinValueValidator(3), MaxValueValidator(120)],
        help_text=_("From the request's last activity. Between 3 and 120 months; 24 by default."),
    )

    class Meta:
        verbose_name = _("data retention")
        verbose_name_plural = _("data retention")

    def __str__(self) -> str:
        return f"{self.cell}: {self.request_months}"


class AccessLogCheckpoint(models.Model):
    """Where the log ended when it last verified intact: its last row, that row's hash and how many rows led up to it.
    Written by `verify_access_log` (run as the owner role; the application's role may only read these), sealed with an
    HMAC under the log's key and chained to the checkpoint before (`chain.checkpoint_seal`). The next verification
    fails when the row is gone or changed, or fewer rows lead up to it than recorded (less the purges since): cutting
    rows off the end of the log no longer goes unseen once a checkpoint has passed them."""

    at = models.DateTimeField()
    # The last row at the time, by id and hash; no foreign key: the purge deletes it once it expires.
    head_id = models.BigIntegerField()
    head_hash = models.CharField(max_length=64)
    # Rows from the log's first (after purges) up to and including head_id.
    rows = models.PositiveBigIntegerField()
    prev_seal = models.CharField(max_length=64)
    seal = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("access log checkpoint")
        verbose_name_plural = _("access log checkpoints")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} row {self.head_id} ({self.rows} rows)"
