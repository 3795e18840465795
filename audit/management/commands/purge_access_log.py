from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from audit.services import access_log_purge


class Command(BaseCommand):
    help = (
        "Deletes the access log rows older than AIGUILLAGE_ACCESS_LOG_MONTHS and records the purge (daily job). On "
        "PostgreSQL, run it as the database owner role: the database lets no other role delete."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            event = access_log_purge()
        except DatabaseError as error:
            raise CommandError(
                f"nothing purged ({str(error).strip()}): run purge_access_log as the database owner role"
            ) from error
        months = settings.AIGUILLAGE_ACCESS_LOG_MONTHS
        if event is None:
            self.stdout.write(f"nothing older than {months} months")
        else:
            self.stdout.write(f"purged ({event.detail}); the chain goes on from row {event.pk}")
