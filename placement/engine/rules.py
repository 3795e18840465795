"""Which slot a request may use, and what a plan is worth."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime

from territory.geo import great_circle_km

from .model import Instance, Objective, Request, Slot


def distance_km(request: Request, slot: Slot) -> float:
    return great_circle_km(request.lat, request.lon, slot.lat, slot.lon)


def compatible(request: Request, slot: Slot, now: datetime) -> bool:
    """Same care channel (and exam type for imaging), a modality the request accepts, a slot still to come, and
    within the request's maximum distance when it has one. Capacity is the plan's business, not the pair's."""
    if slot.channel != request.channel or slot.start <= now or slot.modality not in request.modalities:
        return False
    if request.channel == "imaging" and slot.exam_type != request.exam_type:
        return False
    return request.max_km is None or distance_km(request, slot) <= request.max_km


def meets_deadline(request: Request, slot: Slot) -> bool:
    return slot.start <= request.deadline


class InfeasiblePlan(ValueError):
    """A plan that breaks a rule: an unknown id, a request placed twice, an incompatible pair, a full slot."""


def evaluate(instance: Instance, assignments: Iterable[tuple[str, str]]) -> Objective:
    """The plan's objective, after checking it is feasible (raises InfeasiblePlan otherwise)."""
    requests = {request.id: request for request in instance.requests}
    slots = {slot.id: slot for slot in instance.slots}
    used: Counter[str] = Counter()
    placed: set[str] = set()
    urgency = tier = 0
    km = 0.0
    for request_id, slot_id in assignments:
        request, slot = requests.get(request_id), slots.get(slot_id)
        if request is None or slot is None:
            raise InfeasiblePlan(f"unknown request or slot: {request_id} -> {slot_id}")
        if request_id in placed:
            raise InfeasiblePlan(f"request {request_id} placed twice")
        if not compatible(request, slot, instance.now):
            raise InfeasiblePlan(f"request {request_id} may not use slot {slot_id}")
        used[slot_id] += 1
        if used[slot_id] > slot.capacity:
            raise InfeasiblePlan(f"slot {slot_id} is over its capacity of {slot.capacity}")
        placed.add(request_id)
        if meets_deadline(request, slot):
            urgency += request.urgency
        km += distance_km(request, slot)
        tier += slot.tier
    return Objective(urgency_in_deadline=urgency, placed=len(placed), km=km, tier=tier)
