"""What the task worker (`manage.py db_worker`) does for the scheduler: stamp its heartbeat, proof that it runs."""

from __future__ import annotations

from django_tasks import task

from .services import heartbeat_stamp


@task()
def worker_heartbeat() -> None:
    heartbeat_stamp(name="worker")
