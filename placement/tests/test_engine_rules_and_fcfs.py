"""The engine's rules, its first-come-first-served baseline and its files (the optimising solver comes next)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from placement.engine.fcfs import plan_fcfs
from placement.engine.files import InstanceError, instance_from_json, plan_to_json
from placement.engine.model import Instance, Request, Slot
from placement.engine.rules import InfeasiblePlan, compatible, evaluate
from territory.geo import great_circle_km

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
ARGENTAN = (48.74, -0.02)
GACE = (48.80, 0.30)


def request(id: str, *, urgency: int = 2, hours: int = 48, received: int = 0, at=ARGENTAN, **more) -> Request:
    values = {
        "lat": at[0],
        "lon": at[1],
        "deadline": NOW + timedelta(hours=hours),
        "urgency": urgency,
        "channel": "gp",
        "modalities": frozenset({"in_person"}),
        "received_at": NOW - timedelta(hours=10) + timedelta(minutes=received),
    }
    values.update(more)
    return Request(id=id, **values)


def slot(id: str, *, hours: int = 4, at=ARGENTAN, capacity: int = 1, **more) -> Slot:
    values = {"lat": at[0], "lon": at[1], "start": NOW + timedelta(hours=hours), "channel": "gp"}
    values.update({"modality": "in_person", "capacity": capacity, "tier": 0})
    values.update(more)
    return Slot(id=id, **values)


def test_great_circle_distance_uses_the_mean_earth_radius() -> None:
    # A quarter of a meridian: pi/2 * 6371.0088 km.
    assert great_circle_km(0, 0, 90, 0) == pytest.approx(10007.557, abs=1e-3)
    assert great_circle_km(*ARGENTAN, *ARGENTAN) == 0


@pytest.mark.parametrize(
    ("pair", "expected"),
    [
        ((request("r"), slot("s")), True),
        ((request("r"), slot("s", channel="nursing")), False),
        ((request("r"), slot("s", modality="home_visit")), False),
        ((request("r"), slot("s", hours=-1)), False),  # already started
        ((request("r", channel="imaging", exam_type="mri"), slot("s", channel="imaging", exam_type="ct")), False),
        ((request("r", channel="imaging", exam_type="mri"), slot("s", channel="imaging", exam_type="mri")), True),
        ((request("r", max_km=10), slot("s", at=GACE)), False),  # about 24 km away
        ((request("r", max_km=30), slot("s", at=GACE)), True),
    ],
)
def test_compatibility(pair: tuple[Request, Slot], expected: bool) -> None:
    assert compatible(*pair, NOW) is expected


def test_first_come_first_served_gives_the_scarce_slot_to_whoever_called_first() -> None:
    """The case issue 10 describes: the urgent patient who called later waits past their deadline."""
    instance = Instance(
        NOW,
        (request("early", urgency=1, hours=24 * 6, received=0), request("urgent", urgency=3, hours=24, received=30)),
        (slot("today", hours=4), slot("next-week", hours=24 * 5)),
    )
    plan = plan_fcfs(instance)
    assert dict(plan.assignments) == {"early": "today", "urgent": "next-week"}
    assert plan.objective.urgency_in_deadline == 1 and plan.objective.placed == 2


def test_capacity_above_one_and_requests_left_without_a_slot() -> None:
    instance = Instance(
        NOW,
        tuple(request(f"r{n}", received=n) for n in range(4)),
        (slot("double", capacity=2), slot("single", at=GACE)),
    )
    plan = plan_fcfs(instance)
    assert [a for a in plan.assignments] == [("r0", "double"), ("r1", "double"), ("r2", "single")]
    assert plan.objective.placed == 3


def test_an_empty_instance_is_an_empty_plan() -> None:
    plan = plan_fcfs(Instance(NOW, (), ()))
    assert plan.assignments == () and plan.objective.placed == 0 and plan.objective.km == 0


def test_evaluate_refuses_an_infeasible_plan() -> None:
    instance = Instance(NOW, (request("a"), request("b")), (slot("s"),))
    assert evaluate(instance, [("a", "s")]).placed == 1
    for bad in ([("a", "s"), ("b", "s")], [("a", "s"), ("a", "s")], [("a", "x")]):
        with pytest.raises(InfeasiblePlan):
            evaluate(instance, bad)
    far = Instance(NOW, (request("a", max_km=1),), (slot("s", at=GACE),))
    with pytest.raises(InfeasiblePlan):
        evaluate(far, [("a", "s")])


def _file(**change: object) -> dict:
    data = {
        "now": "2026-12-01T09:00:00+01:00",
        "requests": [
            {
                "id": "r1",
                "lat": 48.74,
                "lon": -0.02,
                "deadline": "2026-12-02T09:00:00+01:00",
                "urgency": 3,
                "channel": "gp",
                "modalities": ["in_person", "medicobus"],
                "received_at": "2026-12-01T08:30:00+01:00",
            }
        ],
        "slots": [
            {
                "id": "s1",
                "lat": 48.80,
                "lon": 0.30,
                "start": "2026-12-01T14:00:00+01:00",
                "channel": "gp",
                "modality": "medicobus",
                "capacity": 2,
                "tier": 0,
            }
        ],
    }
    data.update(change)
    return data


def _without(name: str) -> dict:
    return {key: value for key, value in _file()["requests"][0].items() if key != name}


def test_an_instance_file_is_read_and_its_plan_written() -> None:
    instance = instance_from_json(json.dumps(_file()))
    plan = json.loads(plan_to_json(plan_fcfs(instance)))
    assert plan["assignments"] == [{"request": "r1", "slot": "s1"}]
    assert plan["objective"]["urgency_in_deadline"] == 3 and plan["objective"]["placed"] == 1
    assert plan["objective"]["km"] == pytest.approx(great_circle_km(48.74, -0.02, 48.80, 0.30), abs=1e-3)


@pytest.mark.parametrize(
    ("data", "named"),
    [
        ("{pas du json", "JSON invalide"),
        (json.dumps([]), "objet JSON"),
        (json.dumps(_file(now="demain")), "'now'"),
        (json.dumps(_file(now="2026-12-01T09:00:00")), "décalage UTC"),
        (json.dumps(_file(slots=[{**_file()["slots"][0], "capacity": 0}])), "slots[0] (id s1) : 'capacity'"),
        (
            json.dumps(_file(slots=[{**_file()["slots"][0], "channel": "dentiste"}])),
            "slots[0] (id s1) : channel inconnu",
        ),
        (
            json.dumps(_file(requests=[{k: v for k, v in _file()["requests"][0].items() if k != "deadline"}])),
            "requests[0] (id r1) : le champ 'deadline' manque",
        ),
        (json.dumps(_file(requests=[{**_file()["requests"][0], "urgency": 4}])), "'urgency' doit valoir 1, 2 ou 3"),
        (json.dumps(_file(requests=[{**_file()["requests"][0], "modalities": ["à pied"]}])), "modalité inconnue"),
        (json.dumps(_file(requests=[{**_file()["requests"][0], "channel": "imaging"}])), "'exam_type' manque"),
        (json.dumps(_file(slots=[_file()["slots"][0], _file()["slots"][0]])), "apparaît deux fois"),
        # Values of the wrong JSON type are named, not a crash.
        (json.dumps(_file(slots=[{**_file()["slots"][0], "channel": ["gp"]}])), "slots[0] (id s1) : channel inconnu"),
        (json.dumps(_file(requests=[{**_file()["requests"][0], "urgency": [3]}])), "'urgency' doit valoir 1, 2 ou 3"),
        (json.dumps(_file(requests=[{**_file()["requests"][0], "modalities": [{}]}])), "modalité inconnue"),
        (json.dumps(_file(slots=[{**_file()["slots"][0], "capacity": 10**30}])), "'capacity' doit être un entier"),
    ],
)
def test_a_bad_instance_file_names_the_item_at_fault(data: str, named: str) -> None:
    with pytest.raises(InstanceError) as error:
        instance_from_json(data)
    assert named in str(error.value)


def _fcfs_slot_by_slot(instance: Instance) -> tuple[tuple[str, str], ...]:
    """The definition, literally: every slot looked at for every request (the engine compares slot classes)."""
    left = {s.id: s.capacity for s in instance.slots}
    chosen = []
    for r in sorted(instance.requests, key=lambda r: (r.received_at, r.id)):
        candidates = [s for s in instance.slots if left[s.id] and compatible(r, s, instance.now)]
        if candidates:
            best = min(
                candidates,
                key=lambda s: (
                    s.start > r.deadline,
                    great_circle_km(r.lat, r.lon, s.lat, s.lon),
                    s.tier,
                    s.start,
                    s.id,
                ),
            )
            left[best.id] -= 1
            chosen.append((r.id, best.id))
    return tuple(chosen)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_first_come_first_served_by_class_is_the_slot_by_slot_definition(seed: int) -> None:
    from placement.engine.generator import territory_instance

    instance = territory_instance(150, 500, seed=seed)
    assert plan_fcfs(instance).assignments == _fcfs_slot_by_slot(instance)
