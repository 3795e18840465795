"""The placement assistant's benchmarks (issue 10), on seeded territories (placement.engine.generator).

Quality: the plan against the exact optimum (placement.engine.exact, successive linear programmes over every
compatible pair) and against first come, first served, level by level; targets: the first two levels equal to the
optimum, km within 1 %. Speed: the median of several plans per size, and how the time grows with the size.

Run alone with `make bench-placement` (no database needed); `make bench` runs it after the others.
"""

from __future__ import annotations

import statistics
import sys
import time

from placement.engine.exact import plan_exact
from placement.engine.fcfs import plan_fcfs
from placement.engine.generator import territory_instance
from placement.engine.model import Instance, Plan
from placement.engine.solver import solve_with_resolution

QUALITY = ((100, 400, 1), (250, 1000, 2), (500, 2000, 3), (500, 2000, 4))
# (requests, slots, distinct places, runs): a department's hundreds of practices, spots and stops.
SPEED = ((500, 2500, 300, 5), (2000, 10_000, 400, 5), (5000, 25_000, 600, 3), (20_000, 100_000, 1000, 3))
TARGETS_SECONDS = {(2000, 10_000): 2.0, (20_000, 100_000): 20.0}


def urgent_in_deadline(instance: Instance, plan: Plan) -> int:
    """Patients who need care within 24 h placed in a slot that starts in time."""
    requests = {request.id: request for request in instance.requests}
    slots = {slot.id: slot for slot in instance.slots}
    return sum(
        1
        for request_id, slot_id in plan.assignments
        if requests[request_id].urgency == 3 and slots[slot_id].start <= requests[request_id].deadline
    )


def _row(name: str, instance: Instance, plan: Plan) -> str:
    o = plan.objective
    return (
        f"    {name:<9} urgency {o.urgency_in_deadline:6d}  placed {o.placed:6d}  km {o.km:11.3f}  tier {o.tier:4d}  "
        f"urgent in time {urgent_in_deadline(instance, plan):5d}  {plan.seconds:8.3f} s"
    )


def bench_quality() -> bool:
    print("Placement quality: plan against the exact optimum and first come, first served", flush=True)
    met = True
    for requests, slots, seed in QUALITY:
        instance = territory_instance(requests, slots, seed=seed)
        exact = plan_exact(instance)
        plan, resolution = solve_with_resolution(instance)
        fcfs = plan_fcfs(instance)
        print(f"  {requests} requests × {slots} slots (seed {seed}; distance unit {resolution.metres} m)")
        for name, each in (("optimum", exact), ("plan", plan), ("fcfs", fcfs)):
            print(_row(name, instance, each))
        levels = (plan.objective.urgency_in_deadline, plan.objective.placed) == (
            exact.objective.urgency_in_deadline,
            exact.objective.placed,
        )
        gap = (plan.objective.km - exact.objective.km) / exact.objective.km * 100 if exact.objective.km else 0.0
        gain = urgent_in_deadline(instance, plan) - urgent_in_deadline(instance, fcfs)
        print(
            f"    levels 1-2 {'equal to the optimum' if levels else 'MISSED'}; km {gap:+.4f} % from the optimum"
            f"{'' if gap <= 1 else ' (MISSED: target 1 %)'}; {gain:+d} urgent patients in time over first come, "
            "first served",
            flush=True,
        )
        met &= levels and gap <= 1
    return met


def bench_speed() -> bool:
    print(
        "Placement speed: the median of several plans per size, on a department with hundreds of places; wall time "
        "(the target) and CPU time (time.process_time, less sensitive to a loaded machine)",
        flush=True,
    )
    met = True
    previous: tuple[int, float] | None = None
    for requests, slots, places, rounds in SPEED:
        instance = territory_instance(requests, slots, places=places, seed=11)
        distinct = len({(slot.lat, slot.lon) for slot in instance.slots})
        timings, cpu = [], []
        plan = None
        for _ in range(rounds):
            started, started_cpu = time.perf_counter(), time.process_time()
            plan, _resolution = solve_with_resolution(instance)
            timings.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)
        assert plan is not None
        fcfs = plan_fcfs(instance)
        median = statistics.median(timings)
        target = TARGETS_SECONDS.get((requests, slots))
        growth = ""
        if previous is not None:
            growth = f"  ×{median / previous[1]:.1f} time for ×{requests / previous[0]:.1f} size"
        verdict = "" if target is None else f"  (target {target:.0f} s: {'met' if median < target else 'MISSED'})"
        print(
            f"  {requests:>6} requests × {slots:>7} slots at {distinct:>4} places  median {median:7.2f} s  "
            f"min {min(timings):7.2f}  max {max(timings):7.2f}  CPU median {statistics.median(cpu):7.2f} s  "
            f"({rounds} runs){growth}{verdict}"
        )
        print(_row("plan", instance, plan))
        print(_row("fcfs", instance, fcfs), flush=True)
        met &= target is None or median < target
        previous = (requests, median)
    return met


def main() -> int:
    quality = bench_quality()
    speed = bench_speed()
    print(f"Placement targets: quality {'met' if quality else 'MISSED'}, speed {'met' if speed else 'MISSED'}")
    return 0 if quality and speed else 1


if __name__ == "__main__":
    sys.exit(main())
