"""The real background worker, run by the tests."""

from __future__ import annotations

from unittest import mock

from django.core.management import call_command


def work() -> None:
    """The real `manage.py db_worker`, until the queue holds nothing due. Inside a test's transaction it must not
    close the connection between tasks (it does so to drop stale connections in production)."""
    with mock.patch("django_tasks_db.management.commands.db_worker.close_old_connections"):
        call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)
