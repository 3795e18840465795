"""The worker ends each step when its time is over (the task is scheduled when the step starts)."""

from __future__ import annotations

from django_tasks import task

from . import services


@task()
def advance_cascades() -> None:
    services.cascades_advance()
