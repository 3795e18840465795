"""`manage.py plan --instance FILE.json --out PLAN.json [--strategy fcfs]`: anyone can check a plan.

The files are described in docs/placement.md.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from placement.engine.fcfs import plan_fcfs
from placement.engine.files import InstanceError, instance_from_json, plan_to_json
from placement.engine.solver import plan_optimal

STRATEGIES = {"optimal": plan_optimal, "fcfs": plan_fcfs}


class Command(BaseCommand):
    help = (
        "Plan an instance file (the open requests and free slots, docs/placement.md) and write the plan file: the "
        "optimiser's plan, or first come, first served with --strategy fcfs. A bad instance: a message naming the "
        "item at fault, exit code 2, no plan written."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--instance", required=True, type=Path, help="the instance file (JSON)")
        parser.add_argument("--out", required=True, type=Path, help="where to write the plan (JSON)")
        parser.add_argument("--strategy", choices=sorted(STRATEGIES), default="optimal")

    def handle(self, *args: Any, **options: Any) -> None:
        source: Path = options["instance"]
        try:
            text = source.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"{source} : fichier illisible ({error})", returncode=2) from error
        try:
            instance = instance_from_json(text)
        except InstanceError as error:
            raise CommandError(f"{source} : {error} ; aucun plan écrit.", returncode=2) from error
        plan = STRATEGIES[options["strategy"]](instance)
        _write_whole(options["out"], plan_to_json(plan) + "\n")
        objective = plan.objective
        self.stdout.write(
            f"{options['strategy']}: {objective.placed} placed of {len(instance.requests)}, urgency within deadline "
            f"{objective.urgency_in_deadline}, {objective.km:.1f} km, tier {objective.tier}, {plan.seconds:.3f} s "
            f"-> {options['out']}"
        )


def _write_whole(target: Path, text: str) -> None:
    """Written beside the target, then renamed over it: a reader never sees half a plan."""
    try:
        descriptor, temporary = tempfile.mkstemp(dir=target.parent or Path("."), prefix=f".{target.name}.")
    except OSError as error:
        raise CommandError(f"{target} : impossible d'écrire le plan ({error})", returncode=2) from error
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
