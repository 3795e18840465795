"""The status page of the periodic jobs, for the platform administrator (a superuser), in the Django admin they land
on: each job, its schedule, its last run and outcome, its next run, and whether the schedulers and the worker live."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext

from . import selectors
from .jobs import APP, OWNER
from .models import JobRun, RunStatus


def duration_text(value: timedelta | None) -> str:
    if value is None:
        return ""
    seconds = int(value.total_seconds())
    if seconds < 60:
        return gettext("%(seconds)s s") % {"seconds": seconds}
    return gettext("%(minutes)s min %(seconds)s s") % {"minutes": seconds // 60, "seconds": seconds % 60}


@admin.register(JobRun)
class JobStatusAdmin(admin.ModelAdmin):
    """Read-only, one page: the runs are written by the scheduler only."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_active and request.user.is_superuser)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_urls(self) -> list[URLPattern]:
        info = self.opts.app_label, self.opts.model_name
        return [path("", self.admin_site.admin_view(self.changelist_view), name="{}_{}_changelist".format(*info))]

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        now = timezone.now()
        state = selectors.liveness(now=now)
        rows = [
            {
                "status": status,
                "schedule": status.job.schedule.describe(),
                "duration": duration_text(status.last.duration) if status.last else "",
                "owner": status.job.group == OWNER,
                "failed": status.last is not None and status.last.status == RunStatus.FAILED,
            }
            for status in selectors.job_statuses(now=now)
        ]
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Periodic jobs"),
            "opts": self.opts,
            "rows": rows,
            "scheduler_alive": state.scheduler_alive(APP),
            "owner_scheduler_alive": state.scheduler_alive(OWNER),
            "leases": state.leases,
            "worker_alive": state.worker_alive,
            "worker_seen_at": state.worker_seen_at,
            "history_days": settings.AIGUILLAGE_JOB_RUNS_DAYS,
        }
        return TemplateResponse(request, "scheduling/status.html", context)
