from typing import Any

from django.core.management.base import BaseCommand, CommandError

from audit.services import access_log_verify


class Command(BaseCommand):
    help = (
        "Checks the access log's chain: a changed or deleted row is reported and the command fails. Prints the last "
        "row's id and hash: keep them outside the database (e.g. the daily job's log) to detect rows cut off the end."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        result = access_log_verify()
        for found in result.breaks:
            self.stderr.write(f"row {found.event_id}: {found.reason}")
        head = f"last row {result.head_id} hash {result.head_hash}" if result.head_id else "no row"
        if not result.intact:
            raise CommandError(f"access log altered: {len(result.breaks)} problem(s) in {result.rows} rows ({head})")
        self.stdout.write(f"access log intact: {result.rows} rows, {head}")
