"""The optimising solver: the whole waiting list at once, as a minimum-cost flow (OR-Tools), lexicographic by weights.

The network is compact. Slots that are the same for every request (same place, care channel, exam type, modality and
tier) form a *class*; a class's slots, sorted by start, are chained from the latest to the earliest, each also joined
to the sink by its capacity. A request enters a class's chain at its last slot that meets its deadline (a pairing
worth its urgency) and, when the class also has later slots, at the chain's top (a pairing that does not meet it):
from where it enters, the flow may run down to any earlier slot, all of which are as good for it. A request pairs
with a class at most twice, however many slots the class has.

Costs rank plans in the issue's strict order: each level's weight exceeds anything the levels below can add up to
over the whole plan (`_weights`), so the optimum of the flow is the lexicographic optimum. Integer costs must stay
within 64 bits once OR-Tools has scaled them by the number of nodes: the finest weighting that fits is chosen — the
metre with the tier strictly after the distance (up to about 800 requests on a department), else the metre with the
tier breaking ties pair by pair (a department's 2,000), else coarser units. Pairings are compared on rounded metres,
so the plan's distance may be up to a metre per pairing from the exact optimum. When the first flow was not the
exact weighting, a second flow (`_polish`) keeps the same requests placed (and within their deadline when they were)
and minimises the distance to the metre with the tier strictly after it, among plans of that placed set: the first
two levels stay exact, the distance is as good as the first flow's units allow (the benchmarks measure it).

On very large instances (a kind of request times its compatible classes above `EXPLICIT_PAIRS`: several departments
at once), a request without a maximum distance is joined only to its `NEAREST` classes: the plan is then the optimum
over those pairings, not over all (a request is not sent across the region when no slot near it is left; the
benchmarks measure the difference). Up to that size, every compatible pairing is in the network.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
from ortools.graph.python import min_cost_flow

from .model import Instance, Plan, Request, Slot
from .rules import distance_km, evaluate
from .vectors import exam_key, km_matrix

EXPLICIT_PAIRS = 1_000_000  # above this many (request, class) pairs for one kind of request, keep the nearest
NEAREST = 24
_COST_BUDGET = 2**61  # OR-Tools multiplies costs by about (nodes + 1) times a small factor: keep well below 2**63


@dataclass(frozen=True)
class Resolution:
    """How the distance and the tier enter the flow's costs."""

    metres: int  # the distance unit
    tier_exact: bool  # True: the tier strictly after the distance over the whole plan; False: only pair by pair
    polished: bool = False  # a second flow re-optimised the distance to the metre


def plan_optimal(instance: Instance) -> Plan:
    """The plan of the issue's strict order (docs/placement.md): see the module's docstring for how."""
    return solve_with_resolution(instance)[0]


def solve_with_resolution(instance: Instance) -> tuple[Plan, Resolution]:
    """The plan and how finely the distance was counted (for the benchmarks' report)."""
    started = time.perf_counter()
    assignments, resolution = _solve(instance)
    objective = evaluate(instance, assignments)
    return Plan(tuple(assignments), objective, time.perf_counter() - started, "optimal"), resolution


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _micros(moment: datetime) -> int:
    """Microseconds since 1970, exactly (a float timestamp would round)."""
    return (moment - _EPOCH) // timedelta(microseconds=1)


class _Network:
    """The requests, the slot classes and their chains as arrays; node numbers: requests, then slots, then sink."""

    def __init__(self, instance: Instance) -> None:
        self.requests: tuple[Request, ...] = instance.requests
        slots = [slot for slot in instance.slots if slot.start > instance.now]

        def class_key(slot: Slot) -> tuple[float, float, str, str, str, int]:
            return (slot.lat, slot.lon, slot.channel, exam_key(slot.channel, slot.exam_type), slot.modality, slot.tier)

        slots.sort(key=lambda s: (class_key(s), s.start, s.id))
        self.slots: list[Slot] = slots
        keys: list[tuple[float, float, str, str, str, int]] = []
        first: list[int] = []
        for position, slot in enumerate(slots):
            key = class_key(slot)
            if not keys or keys[-1] != key:
                keys.append(key)
                first.append(position)
        first.append(len(slots))
        self.class_keys = keys
        self.first = np.array(first, dtype=np.int64)
        self.class_lat = np.radians(np.array([key[0] for key in keys], dtype=np.float64))
        self.class_lon = np.radians(np.array([key[1] for key in keys], dtype=np.float64))
        self.class_tier = np.array([key[5] for key in keys], dtype=np.int64)
        self.class_of_slot = np.repeat(np.arange(len(keys)), np.diff(self.first))
        # Starts and deadlines ranked together, exactly: comparing ranks is comparing the instants.
        starts = [_micros(slot.start) for slot in slots]
        deadlines = [_micros(request.deadline) for request in self.requests]
        moments = np.unique(np.array(starts + deadlines, dtype=np.int64))
        start_rank = np.searchsorted(moments, np.array(starts, dtype=np.int64))
        self.deadline_rank = np.searchsorted(moments, np.array(deadlines, dtype=np.int64)).astype(np.int64)
        # One sorted array for every class's starts: the class number times more ranks than there are, plus the rank.
        self.span = len(moments) + 1
        self.chained = self.class_of_slot * self.span + start_rank
        self.capacity = np.array([slot.capacity for slot in slots], dtype=np.int64)
        self.n_requests = len(self.requests)
        self.n_slots = len(slots)

    def classes_for(self, channel: str, exam_type: str, modalities: frozenset[str]) -> np.ndarray:
        exam = exam_key(channel, exam_type)
        return np.array(
            [
                number
                for number, key in enumerate(self.class_keys)
                if key[2] == channel and key[3] == exam and key[4] in modalities
            ],
            dtype=np.int64,
        )

    def meet_position(self, classes: np.ndarray, deadline_ranks: np.ndarray) -> np.ndarray:
        """For each (class, deadline): the position of the class's last slot starting no later, or -1."""
        position = np.searchsorted(self.chained, classes * self.span + deadline_ranks, side="right") - 1
        return np.where(position >= self.first[classes], position, -1)


@dataclass
class _Arcs:
    """The arcs from requests into chains: where they enter, and what the pairing is worth."""

    request: list[np.ndarray]
    head: list[np.ndarray]  # the slot node where the request enters its class's chain
    km: list[np.ndarray]
    tier: list[np.ndarray]
    meets: list[np.ndarray]

    def add(self, request: np.ndarray, head: np.ndarray, km: np.ndarray, tier: np.ndarray, meets: bool) -> None:
        self.request.append(request)
        self.head.append(head)
        self.km.append(km)
        self.tier.append(tier)
        self.meets.append(np.full(len(request), meets))

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        if not self.request:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, np.zeros(0), empty, np.zeros(0, dtype=bool)
        return (
            np.concatenate(self.request),
            np.concatenate(self.head),
            np.concatenate(self.km),
            np.concatenate(self.tier),
            np.concatenate(self.meets),
        )


def _entries(
    network: _Network,
    rows: np.ndarray,
    classes: np.ndarray,
    km: np.ndarray,
    deadlines: np.ndarray,
    arcs: _Arcs,
) -> None:
    """Arcs for the explicit (request, class) pairs: the entry that meets the deadline, and the chain's top."""
    meet = network.meet_position(classes, deadlines)
    top = network.first[classes + 1] - 1
    tier = network.class_tier[classes]
    has_meet = meet >= 0
    arcs.add(rows[has_meet], network.n_requests + meet[has_meet], km[has_meet], tier[has_meet], True)
    late = meet < top
    arcs.add(rows[late], network.n_requests + top[late], km[late], tier[late], False)


def _within(network: _Network, rows: np.ndarray, classes: np.ndarray, km: np.ndarray, max_km: np.ndarray) -> np.ndarray:
    """Which (request, class) pairs are within the request's maximum distance. NumPy's km may differ from the rules'
    in the last digit: pairs on the border are decided by the rules themselves."""
    allowed = km <= max_km[:, None] + 1e-6
    border = allowed & (km > max_km[:, None] - 1e-6)
    for i, j in zip(*np.nonzero(border), strict=True):
        request, representative = network.requests[rows[i]], network.slots[network.first[classes[j]]]
        allowed[i, j] = distance_km(request, representative) <= max_km[i]
    return allowed


def _build(network: _Network) -> _Arcs:
    arcs = _Arcs([], [], [], [], [])
    kinds: dict[tuple[str, str, frozenset[str]], list[int]] = defaultdict(list)
    for number, request in enumerate(network.requests):
        kinds[(request.channel, exam_key(request.channel, request.exam_type), request.modalities)].append(number)
    for (channel, exam, modalities), members in kinds.items():
        classes = network.classes_for(channel, exam, modalities)
        if not len(classes):
            continue
        rows = np.array(members, dtype=np.int64)
        lat = np.radians(np.array([network.requests[r].lat for r in members]))
        lon = np.radians(np.array([network.requests[r].lon for r in members]))
        deadline = network.deadline_rank[rows]
        max_km = np.array(
            [np.inf if network.requests[r].max_km is None else network.requests[r].max_km for r in members]
        )
        prune = len(rows) * len(classes) > EXPLICIT_PAIRS
        chunk = max(1, EXPLICIT_PAIRS // max(1, len(classes)))
        for begin in range(0, len(rows), chunk):
            part = slice(begin, begin + chunk)
            km = km_matrix(lat[part], lon[part], network.class_lat[classes], network.class_lon[classes])
            allowed = _within(network, rows[part], classes, km, max_km[part])
            if prune:
                # Requests without a maximum keep their nearest classes; the others all within their maximum.
                unbounded = np.isinf(max_km[part])
                if len(classes) > NEAREST:
                    nearest = np.argpartition(km, NEAREST, axis=1)[:, :NEAREST]
                    keep = np.zeros_like(allowed)
                    np.put_along_axis(keep, nearest, True, axis=1)
                    allowed &= keep | ~unbounded[:, None]
            pair_rows, pair_cols = np.nonzero(allowed)
            _entries(
                network,
                rows[part][pair_rows],
                classes[pair_cols],
                km[pair_rows, pair_cols],
                deadline[part][pair_rows],
                arcs,
            )
    return arcs


def _weights(placeable: int, max_pair_cost: int) -> tuple[int, int]:
    """Weights of the first two levels: one more unit of a level outweighs all the levels below over the plan."""
    placed_weight = placeable * max_pair_cost + 1
    urgency_weight = placeable * (placed_weight + max_pair_cost) + 1
    return urgency_weight, placed_weight


_RESOLUTIONS = ((1, True), (1, False), (10, False), (100, False), (1000, False))


def _resolutions(placeable: int, farthest_km: float, nodes: int) -> list[tuple[Resolution, int, int]]:
    """From the finest distance unit whose costs should fit in 64 bits to the coarsest, with the two weights (the
    caller tries the next when OR-Tools still finds the range too wide); then the first two levels alone."""
    budget = _COST_BUDGET // (nodes + 1)
    fitting = []
    for metres, tier_exact in _RESOLUTIONS:
        tier_factor = 2 * placeable + 1 if tier_exact else 3
        max_pair = (round(farthest_km * 1000 / metres) + 1) * tier_factor + 2
        urgency_weight, placed_weight = _weights(placeable, max_pair)
        if 3 * urgency_weight + placed_weight <= budget:
            fitting.append((Resolution(metres, tier_exact), urgency_weight, placed_weight))
    fitting.append((Resolution(0, False), placeable + 1, 1))  # distance left to the polish
    return fitting


def _pair_costs(km: np.ndarray, tier: np.ndarray, resolution: Resolution, placeable: int) -> np.ndarray:
    if not resolution.metres:
        return np.zeros(len(km), dtype=np.int64)
    tier_factor = 2 * placeable + 1 if resolution.tier_exact else 3
    return np.rint(km * 1000 / resolution.metres).astype(np.int64) * tier_factor + tier


class _CostRange(Exception):
    """OR-Tools found the costs too wide for its 64-bit arithmetic once scaled."""


@dataclass
class _Layout:
    """The arcs that do not depend on the requests: chains and slot-to-sink; tails, heads, capacities."""

    tails: np.ndarray
    heads: np.ndarray
    caps: np.ndarray
    sink: int


def _layout(network: _Network) -> _Layout:
    sink = network.n_requests + network.n_slots
    slot_nodes = network.n_requests + np.arange(network.n_slots)
    same_class = network.class_of_slot[1:] == network.class_of_slot[:-1]
    many = network.n_requests  # chain arcs never limit the flow: each request arc carries at most one
    down = int(same_class.sum())
    return _Layout(
        tails=np.concatenate([slot_nodes[1:][same_class], slot_nodes]),
        heads=np.concatenate([slot_nodes[:-1][same_class], np.full(network.n_slots, sink)]),
        caps=np.concatenate([np.full(down, many), network.capacity]),
        sink=sink,
    )


def _flow(
    network: _Network,
    layout: _Layout,
    tails: np.ndarray,
    heads: np.ndarray,
    costs: np.ndarray,
    supplies: np.ndarray,
    *,
    may_stay_unplaced: bool,
) -> np.ndarray:
    """One min-cost flow: the request arcs given, the layout's arcs and, if requests may stay unplaced, an arc from
    each straight to the sink at no cost. Returns the flows on the request arcs."""
    solver = min_cost_flow.SimpleMinCostFlow()
    may_stay = np.nonzero(supplies)[0] if may_stay_unplaced else np.zeros(0, dtype=np.int64)
    solver.add_arcs_with_capacity_and_unit_cost(
        np.concatenate([tails, layout.tails, may_stay]),
        np.concatenate([heads, layout.heads, np.full(len(may_stay), layout.sink)]),
        np.concatenate([np.ones(len(tails), dtype=np.int64), layout.caps, np.ones(len(may_stay), dtype=np.int64)]),
        np.concatenate([costs, np.zeros(len(layout.tails) + len(may_stay), dtype=np.int64)]),
    )
    node_supplies = np.zeros(layout.sink + 1, dtype=np.int64)
    node_supplies[: network.n_requests] = supplies
    node_supplies[layout.sink] = -int(supplies.sum())
    solver.set_nodes_supplies(np.arange(layout.sink + 1), node_supplies)
    status = solver.solve()
    if status == solver.BAD_COST_RANGE:
        raise _CostRange
    if status != solver.OPTIMAL:
        raise RuntimeError(f"the min-cost flow did not solve: {status}")
    return np.asarray(solver.flows(np.arange(len(tails))))


def _decode(network: _Network, entering_requests: np.ndarray, entry_nodes: np.ndarray) -> list[tuple[str, str]]:
    """Which request takes which slot. The flow says how many requests each class serves and where each entered its
    chain (the latest slot it may take); within a class every slot is as good for the objective, so they get the
    class's earliest slots, the tightest entry first, then the nearest deadline: feasible whenever the flow was (the
    entries are nested prefixes); the slots used are the class's earliest that can serve them."""
    by_class: dict[int, list[tuple[int, datetime, int]]] = defaultdict(list)
    positions = entry_nodes - network.n_requests
    for request, position in zip(entering_requests.tolist(), positions.tolist(), strict=True):
        deadline = network.requests[request].deadline
        by_class[int(network.class_of_slot[position])].append((position, deadline, request))
    assignments: list[tuple[str, str]] = []
    for klass, units in by_class.items():
        position, left = int(network.first[klass]), int(network.capacity[network.first[klass]])
        for bound, _deadline, request in sorted(units):
            while not left:
                position += 1
                left = int(network.capacity[position])
            if position > bound:  # pragma: no cover - the flow's own assignment shows the prefixes suffice
                raise RuntimeError("a class's requests do not fit its slots")
            assignments.append((network.requests[request].id, network.slots[position].id))
            left -= 1
    return assignments


def _polish(
    network: _Network,
    layout: _Layout,
    arcs: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    used: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, Resolution]:
    """Keep the same requests placed, within their deadline if they were, and minimise the distance to the metre,
    then the tier, among such plans (not over every plan: another placed set of equal worth could be nearer)."""
    request, head, km, tier, meets = arcs
    placed = np.zeros(network.n_requests, dtype=bool)
    placed[request[used]] = True
    met = np.zeros(network.n_requests, dtype=bool)
    met[request[used & meets]] = True
    keep = placed[request] & (meets | ~met[request])
    count = int(placed.sum())
    for metres, tier_exact in _RESOLUTIONS:
        resolution = Resolution(metres, tier_exact, polished=True)
        costs = _pair_costs(km[keep], tier[keep], resolution, count)
        try:
            flows = _flow(
                network, layout, request[keep], head[keep], costs, placed.astype(np.int64), may_stay_unplaced=False
            )
        except _CostRange:
            continue
        break
    else:  # pragma: no cover - kilometres and tiers over a plan stay far below 64 bits
        raise RuntimeError("no unit of distance fits in 64 bits")
    # No arc to the sink but through a slot: the flow places them all (it is feasible: the first flow did).
    if int(flows.sum()) != count:
        raise RuntimeError("the distance polish lost a placed request")
    chosen = flows > 0
    return request[keep][chosen], head[keep][chosen], resolution


def _solve(instance: Instance) -> tuple[list[tuple[str, str]], Resolution]:
    network = _Network(instance)
    exact = Resolution(1, True)
    if not network.n_requests or not network.n_slots:
        return [], exact
    arcs = _build(network).arrays()
    request, head, km, tier, meets = arcs
    if not len(request):
        return [], exact
    layout = _layout(network)
    placeable = len(np.unique(request))
    urgency = np.array([r.urgency for r in network.requests], dtype=np.int64)[request]
    supplies = np.ones(network.n_requests, dtype=np.int64)
    for resolution, urgency_weight, placed_weight in _resolutions(placeable, float(km.max()), layout.sink + 1):
        costs = _pair_costs(km, tier, resolution, placeable) - placed_weight - urgency_weight * urgency * meets
        try:
            flows = _flow(network, layout, request, head, costs, supplies, may_stay_unplaced=True)
        except _CostRange:
            continue
        break
    else:  # pragma: no cover - the last weighting's costs are a few times the number of requests
        raise RuntimeError("no weighting of the costs fits in 64 bits")
    used = flows > 0
    entering, entries = request[used], head[used]
    if resolution != exact:
        entering, entries, resolution = _polish(network, layout, arcs, used)
    return _decode(network, entering, entries), resolution
