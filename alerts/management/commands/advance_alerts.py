from typing import Any

from django.core.management.base import BaseCommand

from alerts.services import cascades_advance


class Command(BaseCommand):
    help = "End the alert steps whose time is over and alert the next step (the worker does it too; run every minute)."

    def handle(self, *args: Any, **options: Any) -> None:
        moved = cascades_advance()
        self.stdout.write(f"{moved} cascade(s) moved on.")
