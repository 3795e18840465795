"""First come, first served: what a cell does by hand, and the baseline a plan is compared with.

Requests in the order they were received, each taking its best compatible slot left: one that meets its deadline
first, then the nearest, the lowest tier, the earliest (then the smallest id). Slots that are the same for every
request (place, care channel, exam type, modality, tier) form a class; within a class the best slot is always the
earliest one left, so each class keeps a pointer to it and a request only compares classes: fast enough for a
department's whole list (the tests check it against the slot-by-slot definition).
"""

from __future__ import annotations

import time
from collections import defaultdict

import numpy as np

from .model import Instance, Plan, Slot
from .rules import distance_km, evaluate
from .vectors import exam_key, km_matrix


def plan_fcfs(instance: Instance) -> Plan:
    started = time.perf_counter()
    now = instance.now
    by_class: dict[tuple[float, float, str, str, str, int], list[Slot]] = defaultdict(list)
    for slot in instance.slots:
        if slot.start > now:
            by_class[
                (slot.lat, slot.lon, slot.channel, exam_key(slot.channel, slot.exam_type), slot.modality, slot.tier)
            ].append(slot)
    keys = list(by_class)
    chains = [sorted(by_class[key], key=lambda s: (s.start, s.id)) for key in keys]
    id_rank = {slot_id: rank for rank, slot_id in enumerate(sorted(s.id for chain in chains for s in chain))}
    lat = np.radians([key[0] for key in keys])
    lon = np.radians([key[1] for key in keys])
    tier = np.array([key[5] for key in keys], dtype=np.int64)
    pointer = [0] * len(keys)
    left = [chain[0].capacity for chain in chains]
    head_start = np.array([chain[0].start.timestamp() for chain in chains]) if chains else np.zeros(0)
    head_rank = np.array([id_rank[chain[0].id] for chain in chains], dtype=np.int64)
    kinds: dict[tuple[str, str, frozenset[str]], np.ndarray] = {}
    assignments: list[tuple[str, str]] = []
    for request in sorted(instance.requests, key=lambda r: (r.received_at, r.id)):
        kind = (request.channel, exam_key(request.channel, request.exam_type), request.modalities)
        if kind not in kinds:
            kinds[kind] = np.array(
                [n for n, key in enumerate(keys) if key[2] == kind[0] and key[3] == kind[1] and key[4] in kind[2]],
                dtype=np.int64,
            )
        classes = kinds[kind]
        classes = classes[np.isfinite(head_start[classes])]  # classes with a slot left
        if not len(classes):
            continue
        here_lat, here_lon = np.radians([request.lat]), np.radians([request.lon])
        km = km_matrix(here_lat, here_lon, lat[classes], lon[classes])[0]
        if request.max_km is not None:
            near = km <= request.max_km + 1e-6
            # NumPy's km may differ from the rules' in the last digit: on the border, the rules decide.
            for index in np.nonzero(near & (km > request.max_km - 1e-6))[0]:
                near[index] = distance_km(request, chains[classes[index]][0]) <= request.max_km
            classes, km = classes[near], km[near]
            if not len(classes):
                continue
        late = head_start[classes] > request.deadline.timestamp()
        best = int(classes[np.lexsort((head_rank[classes], head_start[classes], tier[classes], km, late))[0]])
        chain = chains[best]
        assignments.append((request.id, chain[pointer[best]].id))
        left[best] -= 1
        if not left[best]:
            pointer[best] += 1
            if pointer[best] < len(chain):
                left[best] = chain[pointer[best]].capacity
                head_start[best] = chain[pointer[best]].start.timestamp()
                head_rank[best] = id_rank[chain[pointer[best]].id]
            else:
                head_start[best] = np.inf
    objective = evaluate(instance, assignments)
    return Plan(tuple(assignments), objective, time.perf_counter() - started, "fcfs")
