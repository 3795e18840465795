"""Every 5 minutes (cron): push to the SAS platform the appointment changes that are due (a lost task is caught
up here; a push another worker holds is left alone)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from interop.services.appointments import appointment_push_send, appointment_pushes_due, pushing_enabled


class Command(BaseCommand):
    help = "Push the due appointment changes to the SAS platform (INT_R03)."

    def handle(self, *args: Any, **options: Any) -> None:
        if not pushing_enabled():
            self.stdout.write("AIGUILLAGE_SAS_APPOINTMENTS_URL is not set: nothing is pushed.")
            return
        due = appointment_pushes_due()
        for push_pk in due:
            appointment_push_send(push_pk=push_pk)
        self.stdout.write(f"{len(due)} appointment change(s) pushed or retried.")
