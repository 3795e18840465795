from typing import Any

from django.core.management.base import BaseCommand

from agenda.services import plans_extend_all


class Command(BaseCommand):
    help = "Generate the slots of every active recurring plan up to the rolling horizon (run it daily)."

    def handle(self, *args: Any, **options: Any) -> None:
        created = plans_extend_all()
        self.stdout.write(f"{created} slot(s) generated.")
