from typing import Any

from django.core.management.base import BaseCommand

from referrals.services import deadlines_warn


class Command(BaseCommand):
    help = (
        "Alerts the cell, once, about each request still waiting when its deadline is closer than the cell's chosen "
        "hours (every 5 minutes)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"{deadlines_warn()} request(s) alerted")
