from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from audit.services import access_log_purge


class Command(BaseCommand):
    help = "Deletes the access log rows older than AIGUILLAGE_ACCESS_LOG_MONTHS and records the purge (daily job)."

    def handle(self, *args: Any, **options: Any) -> None:
        event = access_log_purge()
        months = settings.AIGUILLAGE_ACCESS_LOG_MONTHS
        if event is None:
            self.stdout.write(f"nothing older than {months} months")
        else:
            self.stdout.write(f"purged ({event.detail}); the chain goes on from row {event.pk}")
