"""The background side of INT_R03: the worker (`manage.py db_worker`) pushes each appointment change to the SAS
platform and schedules the next try with a growing delay while the platform cannot be reached."""

from __future__ import annotations

from django_tasks import task

from .services import appointments


@task()
def push_appointment(push_pk: int) -> None:
    retry_at = appointments.appointment_push_send(push_pk=push_pk)
    if retry_at is not None:
        push_appointment.using(run_after=retry_at).enqueue(push_pk)
