"""First come, first served: what a cell does by hand, and the baseline a plan is compared with."""

from __future__ import annotations

import time

from .model import Instance, Plan
from .rules import compatible, distance_km, evaluate, meets_deadline


def plan_fcfs(instance: Instance) -> Plan:
    """Requests in the order they were received, each taking its best compatible slot left: one that meets its
    deadline first, then the nearest, the lowest tier, the earliest."""
    started = time.perf_counter()
    left = {slot.id: slot.capacity for slot in instance.slots}
    assignments: list[tuple[str, str]] = []
    for request in sorted(instance.requests, key=lambda r: (r.received_at, r.id)):
        candidates = [slot for slot in instance.slots if left[slot.id] > 0 and compatible(request, slot, instance.now)]
        if not candidates:
            continue
        best = min(
            candidates,
            key=lambda s: (not meets_deadline(request, s), distance_km(request, s), s.tier, s.start, s.id),
        )
        left[best.id] -= 1
        assignments.append((request.id, best.id))
    objective = evaluate(instance, assignments)
    return Plan(tuple(assignments), objective, time.perf_counter() - started, "fcfs")
