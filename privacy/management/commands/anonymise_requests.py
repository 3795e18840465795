from typing import Any

from django.core.management.base import BaseCommand

from privacy.retention import anonymise_expired


class Command(BaseCommand):
    help = (
        "Removes the personal data of requests ended longer ago than their cell's retention period (daily job); "
        "the statistics stay."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        for cell, count in anonymise_expired().items():
            self.stdout.write(f"{cell}: {count} requests anonymised")
