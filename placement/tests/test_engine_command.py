"""`manage.py plan`, run as a user would: a real process, its exit code, its files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from placement.engine.files import instance_from_json
from placement.engine.rules import evaluate

INSTANCE: dict[str, Any] = {
    "now": "2026-12-01T09:00:00+01:00",
    "requests": [
        {"id": "early", "lat": 48.74, "lon": -0.02, "deadline": "2026-12-07T09:00:00+01:00", "urgency": 1,
         "channel": "gp", "modalities": ["in_person"], "received_at": "2026-12-01T08:00:00+01:00"},
        {"id": "urgent", "lat": 48.74, "lon": -0.02, "deadline": "2026-12-02T08:30:00+01:00", "urgency": 3,
         "channel": "gp", "modalities": ["in_person"], "received_at": "2026-12-01T08:30:00+01:00"},
    ],
    "slots": [
        {"id": "today", "lat": 48.74, "lon": -0.02, "start": "2026-12-01T14:00:00+01:00", "channel": "gp",
         "modality": "in_person", "capacity": 1, "tier": 0},
        {"id": "friday", "lat": 48.74, "lon": -0.02, "start": "2026-12-04T14:00:00+01:00", "channel": "gp",
         "modality": "in_person", "capacity": 1, "tier": 0},
    ],
}  # fmt: skip


def plan(tmp_path: Path, instance: str, *more: str) -> tuple[subprocess.CompletedProcess[str], Path]:
    source, out = tmp_path / "instance.json", tmp_path / "plan.json"
    source.write_text(instance, encoding="utf-8")
    command = [sys.executable, "manage.py", "plan", "--instance", str(source), "--out", str(out), *more]
    return subprocess.run(command, capture_output=True, text=True, check=False), out


@pytest.mark.parametrize(
    ("strategy", "expected"),
    [((), {"urgent": "today", "early": "friday"}), (("--strategy", "fcfs"), {"early": "today", "urgent": "friday"})],
)
def test_the_command_writes_the_plan_file(tmp_path: Path, strategy: tuple[str, ...], expected: dict) -> None:
    result, out = plan(tmp_path, json.dumps(INSTANCE), *strategy)
    assert result.returncode == 0, result.stderr
    written = json.loads(out.read_text())
    assert {a["request"]: a["slot"] for a in written["assignments"]} == expected
    # Anyone can check it: the objective in the file is the plan's, recomputed from the instance.
    instance = instance_from_json(json.dumps(INSTANCE))
    objective = evaluate(instance, [(a["request"], a["slot"]) for a in written["assignments"]])
    assert written["objective"] == {
        "urgency_in_deadline": objective.urgency_in_deadline,
        "placed": objective.placed,
        "km": round(objective.km, 3),
        "tier": objective.tier,
    }
    assert written["seconds"] >= 0 and "2 placed of 2" in result.stdout


@pytest.mark.parametrize(
    ("instance", "named"),
    [
        ("{pas du json", "JSON invalide"),
        (json.dumps({**INSTANCE, "slots": [{**INSTANCE["slots"][0], "capacity": 0}]}), "slots[0] (id today)"),
        (json.dumps({**INSTANCE, "slots": [{**INSTANCE["slots"][1], "channel": "dentist"}]}), "channel inconnu"),
        (json.dumps({**INSTANCE, "requests": [{"id": "r"}]}), "requests[0] (id r) : le champ"),
    ],
)
def test_a_bad_instance_exits_2_names_the_item_and_writes_no_plan(tmp_path: Path, instance: str, named: str) -> None:
    result, out = plan(tmp_path, instance)
    assert result.returncode == 2
    assert named in result.stderr and "aucun plan écrit" in result.stderr
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["instance.json"]


def test_a_missing_instance_file_exits_2(tmp_path: Path) -> None:
    out = tmp_path / "plan.json"
    command = [sys.executable, "manage.py", "plan", "--instance", str(tmp_path / "nope.json"), "--out", str(out)]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    assert result.returncode == 2 and "nope.json" in result.stderr and not out.exists()


def test_the_command_and_its_help_do_not_import_the_solver_library() -> None:
    """`manage.py plan --help` (and the app, which imports the engine) start without loading OR-Tools: the solver
    imports it when it solves. The same process then plans an instance, and OR-Tools is there (the check works)."""
    code = """
import contextlib, io, json, os, sys
os.environ["DJANGO_SETTINGS_MODULE"] = "aiguillage.settings.test"
import django
django.setup()
import placement.management.commands.plan
from django.core.management import ManagementUtility
with contextlib.redirect_stdout(io.StringIO()) as shown, contextlib.suppress(SystemExit):
    ManagementUtility(["manage.py", "plan", "--help"]).execute()
before = sorted(name for name in ("ortools", "scipy") if name in sys.modules)
from placement.engine.files import instance_from_json
from placement.engine.solver import plan_optimal
plan_optimal(instance_from_json(sys.argv[1]))
print(json.dumps({"help": "--instance" in shown.getvalue(), "before": before, "after": "ortools" in sys.modules}))
"""
    result = subprocess.run(
        [sys.executable, "-c", code, json.dumps(INSTANCE)], capture_output=True, text=True, check=True
    )
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {"help": True, "before": [], "after": True}
