from typing import Any

from django.core.management.base import BaseCommand

from notifications.services import reminders_queue


class Command(BaseCommand):
    help = (
        "Queue the reminder SMS for tomorrow's appointments (run it once a day; running it twice sends nothing twice)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"{reminders_queue()} reminder(s) queued.")
