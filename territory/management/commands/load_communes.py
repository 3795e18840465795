from pathlib import Path

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from territory.communes import COMMUNES_CSV, load_communes
from territory.models import Commune


class Command(BaseCommand):
    help = "Load or refresh the reference list of French communes (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--file", type=Path, default=COMMUNES_CSV)

    def handle(self, *args: object, **options: object) -> None:
        path = options["file"]
        assert isinstance(path, Path)
        with transaction.atomic():
            created, updated = load_communes(Commune, path)
        self.stdout.write(f"{created} communes created, {updated} updated.")
