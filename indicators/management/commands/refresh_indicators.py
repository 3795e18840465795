from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from indicators.rollups import refresh
from territory.models import Cell


class Command(BaseCommand):
    help = (
        "Store the dashboard's figures of the last complete months of every cell (run every night), so that a "
        "year's dashboard adds stored months instead of reading every request and slot (decision 0009)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--months", type=int, default=13, help="How many complete months back (13 by default).")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["months"] < 1:
            self.stderr.write("--months: give 1 or more.")
            raise SystemExit(2)
        now = timezone.now()
        stored = sum(refresh(cell, now, options["months"]) for cell in Cell.objects.order_by("pk"))
        self.stdout.write(f"{stored} month(s) of figures stored.")
