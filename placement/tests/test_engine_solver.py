"""The optimising solver: the issue's strict order where a weighted compromise would go wrong, capacities, pairs
it must never propose, and the exact optimum (an independent linear programme) on generated territories."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from datetime import timedelta

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from placement.engine import solver
from placement.engine.exact import plan_exact
from placement.engine.fcfs import plan_fcfs
from placement.engine.generator import territory_instance
from placement.engine.model import Instance, Objective, Plan
from placement.engine.rules import compatible, evaluate
from placement.engine.solver import plan_optimal, solve_with_resolution
from placement.engine.vectors import km_matrix

from .test_engine_rules_and_fcfs import ARGENTAN, GACE, NOW, request, slot

FAR = (48.43, 0.09)  # Alençon, about 35 km from Argentan


def test_urgency_within_the_deadline_comes_before_the_number_placed() -> None:
    """Placing both (the urgent patient late) would score more under "urgency + weight per placed" for any weight
    above 1: the strict order keeps the only slot in time for the urgent patient and leaves the other unplaced."""
    instance = Instance(
        NOW,
        (
            request("urgent", urgency=3, hours=24, modalities=frozenset({"in_person", "medicobus"})),
            request("later", urgency=1, hours=24 * 6, modalities=frozenset({"medicobus"})),
        ),
        (
            slot("today", hours=4, modality="medicobus"),  # in time for both
            slot("friday", hours=24 * 4),  # the urgent patient's only other slot, past their deadline
        ),
    )
    plan = plan_optimal(instance)
    assert dict(plan.assignments) == {"urgent": "today"}
    assert plan.objective == Objective(urgency_in_deadline=3, placed=1, km=0, tier=0)
    # The other way round: both placed, but the urgent patient past the deadline.
    assert evaluate(instance, [("later", "today"), ("urgent", "friday")]).key() > plan.objective.key()


def test_the_number_placed_comes_before_the_distance() -> None:
    """One patient travels 24 km so that another, who may not travel, is placed at all."""
    instance = Instance(
        NOW,
        (request("mobile"), request("bound", max_km=5)),
        (slot("here", at=ARGENTAN), slot("there", at=GACE)),
    )
    plan = plan_optimal(instance)
    assert dict(plan.assignments) == {"mobile": "there", "bound": "here"}
    assert plan.objective.placed == 2 and plan.objective.km == pytest.approx(24.3, abs=0.5)


def test_the_distance_comes_before_the_tier_and_the_tier_breaks_ties() -> None:
    tele = {"modality": "assisted_teleconsultation"}
    patient = request("r", modalities=frozenset({"assisted_teleconsultation"}))
    near_but_extra = slot("extra-territorial", at=ARGENTAN, tier=2, **tele)
    far_but_local = slot("local", at=GACE, tier=0, **tele)
    plan = plan_optimal(Instance(NOW, (patient,), (near_but_extra, far_but_local)))
    assert plan.assignments == (("r", "extra-territorial"),)  # 0 km at tier 2 beats 24 km at tier 0
    regional = slot("regional", at=ARGENTAN, tier=1, **tele)
    plan = plan_optimal(Instance(NOW, (patient,), (near_but_extra, regional, far_but_local)))
    assert plan.assignments == (("r", "regional"),)


def test_several_urgency_one_patients_do_not_outweigh_one_urgent_patient_in_time() -> None:
    """Level 1 is a sum of weights: 3 for the urgent patient, against 1 + 1 for two others in the same slot."""
    instance = Instance(
        NOW,
        (
            request("urgent", urgency=3, hours=24, received=30),
            request("a", urgency=1, hours=30, received=0),
            request("b", urgency=1, hours=30, received=1),
        ),
        (slot("soon", hours=3, capacity=2), slot("next-week", hours=24 * 6, capacity=2)),
    )
    plan = plan_optimal(instance)
    assert plan.objective.urgency_in_deadline == 3 + 1 and plan.objective.placed == 3
    assert dict(plan.assignments)["urgent"] == "soon"
    assert plan_fcfs(instance).objective.urgency_in_deadline == 1 + 1  # the two who called first took "soon"


def test_a_slot_takes_as_many_patients_as_its_capacity() -> None:
    instance = Instance(
        NOW, tuple(request(f"r{n}", received=n) for n in range(5)), (slot("group", capacity=3), slot("far", at=FAR))
    )
    plan = plan_optimal(instance)
    used = [slot_id for _, slot_id in plan.assignments]
    assert used.count("group") == 3 and used.count("far") == 1 and plan.objective.placed == 4


def test_incompatible_pairs_are_never_proposed() -> None:
    instance = Instance(
        NOW,
        (
            request("gp", modalities=frozenset({"in_person"})),
            request("mri", channel="imaging", exam_type="mri"),
            request("bound", max_km=5),
        ),
        (
            slot("nursing", channel="nursing"),
            slot("home", modality="home_visit"),
            slot("ct", channel="imaging", exam_type="ct"),
            slot("past", hours=-2),
            slot("far", at=GACE),
        ),
    )
    plan = plan_optimal(instance)
    assert dict(plan.assignments) == {"gp": "far"}  # "bound" may not go 24 km; nothing else suits anybody


@pytest.mark.parametrize(
    "instance",
    [
        Instance(NOW, (), ()),
        Instance(NOW, (request("r"),), ()),
        Instance(NOW, (), (slot("s"),)),
        Instance(NOW, (request("r", channel="biology"),), (slot("s"),)),
    ],
    ids=["nothing", "no slot", "no request", "nothing compatible"],
)
def test_an_empty_or_hopeless_instance_gives_an_empty_plan(instance: Instance) -> None:
    plan = plan_optimal(instance)
    assert plan.assignments == () and plan.objective == Objective(0, 0, 0.0, 0)


def _same_first_levels_and_distance(plan: Plan, exact: Plan) -> None:
    assert plan.objective.urgency_in_deadline == exact.objective.urgency_in_deadline
    assert plan.objective.placed == exact.objective.placed
    # The flow counts whole metres: each pairing rounded by up to half a metre, the plan may be up to a metre per
    # pairing from the exact distance.
    assert plan.objective.km == pytest.approx(exact.objective.km, abs=0.001 * exact.objective.placed + 1e-9)


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_the_plan_is_the_exact_optimum_on_generated_territories(seed: int) -> None:
    instance = territory_instance(60, 240, seed=seed)
    plan, resolution = solve_with_resolution(instance)
    exact = plan_exact(instance)
    assert resolution == solver.Resolution(1, True)  # small enough for exact weights: no second flow
    _same_first_levels_and_distance(plan, exact)
    assert plan.objective.tier == exact.objective.tier
    assert plan.objective.key() <= plan_fcfs(instance).objective.key()
    for request_id, slot_id in plan.assignments:  # evaluate() checked it too; said here for the reader
        found = {r.id: r for r in instance.requests}[request_id], {s.id: s for s in instance.slots}[slot_id]
        assert compatible(*found, instance.now)


@pytest.mark.parametrize("nearest", [16, 1])
def test_coarser_units_then_the_polish_keep_the_first_levels_and_the_distance(monkeypatch, nearest) -> None:
    """A budget so small that the metre does not fit: kilometres first, then the second flow to the metre (also
    with one explicit class per request at first: both flows go through the far arcs' rounds)."""
    instance = territory_instance(60, 240, seed=5)
    monkeypatch.setattr(solver, "_COST_BUDGET", 2**40)
    monkeypatch.setattr(solver, "NEAREST", nearest)
    plan, resolution = solve_with_resolution(instance)
    assert resolution.polished and resolution.metres == 1
    exact = plan_exact(instance)
    assert plan.objective.urgency_in_deadline == exact.objective.urgency_in_deadline
    assert plan.objective.placed == exact.objective.placed
    assert plan.objective.km <= exact.objective.km * 1.01


def test_only_the_first_two_levels_when_no_unit_fits_then_the_polish(monkeypatch) -> None:
    instance = territory_instance(40, 160, seed=6)
    weightings = solver._resolutions
    # As if even kilometres overflowed: only the last weighting, the first two levels alone.
    monkeypatch.setattr(solver, "_resolutions", lambda *given: weightings(*given)[-1:])
    plan, resolution = solve_with_resolution(instance)
    exact = plan_exact(instance)
    assert resolution.polished
    assert (plan.objective.urgency_in_deadline, plan.objective.placed) == (
        exact.objective.urgency_in_deadline,
        exact.objective.placed,
    )


@pytest.mark.parametrize(("seed", "nearest"), [(7, 1), (8, 2), (9, 3)])
def test_with_few_explicit_classes_the_far_arcs_keep_the_plan_the_exact_optimum(monkeypatch, seed, nearest) -> None:
    """Each request joined to 1 to 3 of its nearest classes at first: the flow sends some beyond them (far arcs),
    those get more classes and the flow runs again, until none does: the plan is the optimum over every pairing."""
    instance = territory_instance(80, 400, places=40, seed=seed)
    monkeypatch.setattr(solver, "NEAREST", nearest)
    widened: list[int] = []
    widen = solver._Candidates.widen

    def counted(self: solver._Candidates, requests) -> None:
        widened.append(len(requests))
        widen(self, requests)

    monkeypatch.setattr(solver._Candidates, "widen", counted)
    plan, resolution = solve_with_resolution(instance)
    exact = plan_exact(instance)
    assert widened, "the far arcs were never needed: the test would prove nothing"
    assert resolution == solver.Resolution(1, True)
    _same_first_levels_and_distance(plan, exact)
    assert plan.objective.tier == exact.objective.tier


def test_times_across_the_clock_change_compare_as_instants() -> None:
    """Deadlines and starts given with different offsets (winter and summer time) compare as instants."""
    from datetime import datetime, timezone

    paris_summer, paris_winter = timezone(timedelta(hours=2)), timezone(timedelta(hours=1))
    now = datetime(2026, 10, 24, 12, 0, tzinfo=paris_summer)
    # Deadline Sunday 25 October 2:30 (winter time, after the clocks went back); the slot at 2:30 summer time is
    # an hour earlier, in time; the one at 3:00 winter time is half an hour late.
    deadline = datetime(2026, 10, 25, 2, 30, tzinfo=paris_winter)
    patient = replace(request("r"), deadline=deadline, received_at=now)
    in_time = replace(slot("in-time"), start=datetime(2026, 10, 25, 2, 30, tzinfo=paris_summer))
    late = replace(slot("late", at=ARGENTAN), start=datetime(2026, 10, 25, 3, 0, tzinfo=paris_winter))
    plan = plan_optimal(Instance(now, (patient,), (late, in_time)))
    assert plan.assignments == (("r", "in-time"),) and plan.objective.urgency_in_deadline == patient.urgency


def test_the_engine_imports_no_django() -> None:
    code = (
        "import sys, placement.engine.solver, placement.engine.fcfs, placement.engine.files, "
        "placement.engine.generator; print('django' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_within_a_place_patients_get_the_earliest_slots_the_tightest_deadline_first() -> None:
    """Four slots at one practice, equal for the objective: the two patients get the two earliest, the one whose
    deadline comes first the earlier (the flow alone could have picked any two)."""
    slots = tuple(slot(f"day{n}", hours=24 * n + 4) for n in (6, 1, 4, 2))
    patients = (request("relaxed", urgency=1, hours=24 * 7), request("tight", urgency=1, hours=24 * 7 - 1))
    plan = plan_optimal(Instance(NOW, patients, slots))
    assert dict(plan.assignments) == {"tight": "day1", "relaxed": "day2"}


def _tiny(seed: int) -> Instance:
    """A small instance full of ties: three places, a few start times (one past), deadlines equal to some starts."""
    import random

    rng = random.Random(seed)
    places = [(48.74 + rng.uniform(-0.2, 0.2), rng.uniform(-0.3, 0.3)) for _ in range(3)]
    moments = [NOW + timedelta(hours=hours) for hours in (-1, 2, 5, 20, 30, 50, 100)]
    kinds = ("in_person", "medicobus", "assisted_teleconsultation")
    slots = tuple(
        replace(
            slot(f"s{n}", at=rng.choice(places), capacity=rng.randint(1, 3), tier=rng.randint(0, 2)),
            start=rng.choice(moments),
            channel=rng.choice(("gp", "gp", "nursing")),
            modality=rng.choice(kinds),
        )
        for n in range(rng.randint(1, 9))
    )
    requests = tuple(
        replace(
            request(f"r{n}", urgency=rng.randint(1, 3), received=rng.randint(0, 5), at=rng.choice(places)),
            deadline=rng.choice(moments[1:]) + timedelta(minutes=rng.choice((0, 0, 30))),
            channel=rng.choice(("gp", "gp", "nursing")),
            modalities=frozenset(rng.sample(kinds, rng.randint(1, 3))),
            max_km=rng.choice((None, None, 10.0, 30.0)),
        )
        for n in range(rng.randint(1, 10))
    )
    return Instance(NOW, requests, slots)


@pytest.mark.parametrize("seed", range(60))
def test_the_plan_is_the_exact_optimum_on_small_instances_full_of_ties(seed: int) -> None:
    instance = _tiny(seed)
    plan, exact = plan_optimal(instance), plan_exact(instance)
    _same_first_levels_and_distance(plan, exact)
    if abs(plan.objective.km - exact.objective.km) < 1e-6:
        assert plan.objective.tier == exact.objective.tier


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10**6), nearest=st.integers(1, 2))
def test_with_one_or_two_explicit_classes_small_instances_keep_the_exact_optimum(monkeypatch, seed, nearest) -> None:
    """The same small instances full of ties, each request joined at first to its one or two nearest classes only:
    whatever the far arcs and the rounds do, the plan is the exact optimum."""
    instance = _tiny(seed)
    monkeypatch.setattr(solver, "NEAREST", nearest)
    plan, exact = plan_optimal(instance), plan_exact(instance)
    _same_first_levels_and_distance(plan, exact)
    if abs(plan.objective.km - exact.objective.km) < 1e-6:
        assert plan.objective.tier == exact.objective.tier


def test_a_slot_a_fraction_of_a_millisecond_after_the_deadline_is_late() -> None:
    """Deadlines are compared as exact instants (microseconds), as the rules compare them."""
    urgent = request("urgent", urgency=3, hours=24)
    week = request("week", urgency=1, hours=24 * 3)
    just_late = replace(slot("a"), start=urgent.deadline + timedelta(microseconds=400))
    plan = plan_optimal(Instance(NOW, (urgent, week), (just_late,)))
    assert plan.assignments == (("week", "a"),) and plan.objective.urgency_in_deadline == 1
    on_time = replace(slot("a"), start=urgent.deadline)
    assert plan_optimal(Instance(NOW, (urgent, week), (on_time,))).assignments == (("urgent", "a"),)


@pytest.mark.parametrize("strategy", [plan_optimal, plan_fcfs], ids=["optimal", "fcfs"])
def test_a_slot_exactly_at_the_maximum_distance_is_allowed(strategy) -> None:
    """The rules say km <= max_km: a slot at the patient's own point with a maximum of 0 km, and one exactly at the
    maximum the rules compute, are allowed."""
    from placement.engine.rules import distance_km

    at_home = request("r", max_km=0.0)
    assert strategy(Instance(NOW, (at_home,), (slot("here"),))).assignments == (("r", "here"),)
    there = slot("there", at=GACE)
    bounded = request("r", max_km=distance_km(request("probe"), there))
    assert strategy(Instance(NOW, (bounded,), (there,))).assignments == (("r", "there"),)


@pytest.mark.parametrize(("slots", "places"), [(10_000, 400), (3000, 1000), (240, None)])
def test_the_generator_makes_a_department_of_so_many_distinct_places(slots: int, places: int | None) -> None:
    from placement.engine.generator import default_places

    instance = territory_instance(200, slots, places=places, seed=3)
    points = {(s.lat, s.lon) for s in instance.slots}
    assert len(instance.slots) == slots and len(instance.requests) == 200
    assert len(points) == (places if places is not None else default_places(slots))
    # A department's width (about 80 km north to south); hundreds of places are clustered: most have another
    # within 2 km (the small test territories have too few places for that).
    lats = sorted(lat for lat, _ in points)
    assert 0.4 < lats[-1] - lats[0] < 1.0
    lat, lon = (np.radians(np.array(column)) for column in zip(*points, strict=True))
    km = km_matrix(lat, lon, lat, lon) + np.diag(np.full(len(points), np.inf))
    assert (km.min(axis=1) < 2).mean() > 0.5 or len(points) < 300
    assert territory_instance(200, slots, places=places, seed=3) == instance  # reproducible for a seed
