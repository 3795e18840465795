"""The background side of messages: the worker (`manage.py db_worker`) sends each queued message, and schedules the
next try with a growing delay when the provider is unreachable for a while."""

from __future__ import annotations

from django_tasks import task

from . import services


@task()
def send_message(message_pk: int) -> None:
    outcome = services.message_send(message_pk=message_pk)
    if outcome.retry_at is not None:
        send_message.using(run_after=outcome.retry_at).enqueue(message_pk)
