from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError

from audit.services import access_log_checkpoint_record, access_log_verify


class Command(BaseCommand):
    help = (
        "Checks the access log's chain and its last checkpoint: a changed or deleted row, rows cut off the end up to "
        "the last checkpoint, or a changed checkpoint are reported and the command fails. When intact, records a new "
        "checkpoint (run it as the database owner role) and prints the last row's id and hash and the checkpoint's "
        "seal: keep those lines outside the database too (e.g. the daily job's log)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--no-checkpoint",
            action="store_true",
            help="only check; record nothing (e.g. as the application's role, which may not write checkpoints)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        result = access_log_verify()
        for found in result.breaks:
            self.stderr.write(f"row {found.event_id}: {found.reason}" if found.event_id else found.reason)
        head = f"last row {result.head_id} hash {result.head_hash}" if result.head_id else "no row"
        if not result.intact:
            raise CommandError(f"access log altered: {len(result.breaks)} problem(s) in {result.rows} rows ({head})")
        self.stdout.write(f"access log intact: {result.rows} rows, {head}")
        if (last := result.checkpoint) is not None:
            self.stdout.write(f"tail checked against checkpoint {last.pk} (row {last.head_id})")
        if options["no_checkpoint"] or result.head_id is None:
            return
        try:
            checkpoint = access_log_checkpoint_record(verification=result)
        except DatabaseError as error:
            raise CommandError(
                f"no checkpoint recorded ({str(error).strip()}): run verify_access_log as the database owner role"
            ) from error
        self.stdout.write(f"checkpoint {checkpoint.pk}: row {checkpoint.head_id}, seal {checkpoint.seal}")
