"""The reports built in the background: a cell administrator asks for one, the worker (`manage.py db_worker`) renders
it, and the file waits in the database for its download.

The file is kept in the database (a BinaryField), not under MEDIA_ROOT: the application runs as several processes,
possibly on several hosts behind nginx, and the worker may run elsewhere again; the database is the one store they all
share, a file written there is committed whole or not at all, and it goes with the row when old jobs are dropped.
The files are small (a few hundred kilobytes) and kept a week (REPORT_JOB_KEPT_DAYS)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from common.exports import XLSX_CONTENT_TYPE
from territory.models import Cell


class ReportKind(models.TextChoices):
    MONTHLY_PDF = "monthly_pdf", _("Monthly report (PDF)")
    ACI_PDF = "aci_pdf", _("Yearly ACI report (PDF)")
    ACI_XLSX = "aci_xlsx", _("Yearly ACI report (XLSX)")


class ReportStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting for the worker")
    RUNNING = "running", _("Being built")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Failed")


ACTIVE_REPORT_STATUSES = (ReportStatus.QUEUED, ReportStatus.RUNNING)


class ReportJob(models.Model):
    """One report asked for by a member of the cell: what (kind and period), its progress, then its file or why it
    failed."""

    cell = models.ForeignKey(Cell, on_delete=models.CASCADE, related_name="report_jobs", verbose_name=_("cell"))
    kind = models.CharField(_("report"), max_length=16, choices=ReportKind.choices)
    first = models.DateField(_("from"))
    last = models.DateField(_("to"))  # included
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    asked_at = models.DateTimeField(_("asked at"))
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=ReportStatus.choices, default=ReportStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)  # percent
    content = models.BinaryField(default=b"", blank=True)  # the file, once ready; never read by the lists
    size = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-asked_at", "-pk"]
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        constraints = [
            # The same report asked twice while the first is waiting or being built is the first one: no double work.
            models.UniqueConstraint(
                fields=["cell", "kind", "first", "last"],
                condition=Q(status__in=["queued", "running"]),
                name="report_job_one_active_per_report",
            ),
            models.CheckConstraint(condition=Q(first__lte=F("last")), name="report_job_first_not_after_last"),
            models.CheckConstraint(condition=Q(progress__lte=100), name="report_job_progress_at_most_100"),
        ]
        indexes = [models.Index(fields=["cell", "-asked_at"], name="report_job_cell_recent")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.first:%Y-%m-%d}–{self.last:%Y-%m-%d}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_REPORT_STATUSES

    @property
    def is_yearly(self) -> bool:
        return self.kind != ReportKind.MONTHLY_PDF

    @property
    def period_label(self) -> str:
        return f"{self.first:%Y}" if self.is_yearly else f"{self.first:%m/%Y}"

    @property
    def extension(self) -> str:
        return "xlsx" if self.kind == ReportKind.ACI_XLSX else "pdf"

    @property
    def content_type(self) -> str:
        return XLSX_CONTENT_TYPE if self.kind == ReportKind.ACI_XLSX else "application/pdf"

    @property
    def filename(self) -> str:
        if self.is_yearly:
            return f"aiguillage-{self.cell.slug}-rapport-aci-{self.first:%Y}.{self.extension}"
        return f"aiguillage-{self.cell.slug}-rapport-{self.first:%Y-%m}.{self.extension}"


class MonthFigures(models.Model):
    """The dashboard's figures of one complete Paris month, for one cell and one set of filters, computed once
    (indicators/rollups.py, decision 0009): a year's dashboard adds twelve of these instead of reading a million
    rows."""

    cell = models.ForeignKey(Cell, on_delete=models.CASCADE, related_name="+")
    month = models.DateField()  # its first day
    scope = models.CharField(max_length=200, blank=True)  # the filters (rollups.scope_key), "" for the whole cell
    version = models.PositiveSmallIntegerField()  # of what `figures` holds (rollups.VERSION)
    figures = models.JSONField()
    computed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["cell", "month", "scope"], name="month_figures_once"),
        ]

    def __str__(self) -> str:
        return f"{self.cell_id} {self.month:%Y-%m} {self.scope}"
