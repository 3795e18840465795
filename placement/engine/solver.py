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

A department has hundreds of places: a request is joined explicitly to its `NEAREST` compatible classes only, and a
*far arc* per ladder (care channel, exam type, modality: every slot of them, whatever the place) stands for the
others at a cost no higher than theirs (`_Candidates`). That network relaxes the one with every pairing; a flow that
uses no far arc is therefore the optimum over every pairing, and a request that takes one gets more explicit classes
for another round (`_rounds`). One flow per care channel (`solve_with_resolution`): the channels share nothing.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np

from .model import Instance, Plan, Request, Slot
from .rules import distance_km, evaluate
from .vectors import exam_key, km_matrix

NEAREST = 16  # explicit classes per request at first (a far arc stands for the others); eight times more if needed
_CHUNK_PAIRS = 1_000_000  # distances computed this many (request, class) pairs at a time
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
    assignments: list[tuple[str, str]] = []
    resolutions = []
    # No request may use another care channel's slot and the four levels are sums: one flow per channel, smaller
    # (the flow's time grows faster than its size), gives the same optimum.
    for channel in sorted({request.channel for request in instance.requests}):
        part = Instance(
            instance.now,
            tuple(request for request in instance.requests if request.channel == channel),
            tuple(slot for slot in instance.slots if slot.channel == channel),
        )
        found, resolution = _solve(part)
        assignments.extend(found)
        resolutions.append(resolution)
    objective = evaluate(instance, assignments)
    coarsest = max(resolutions, key=lambda r: (r.polished, -r.tier_exact, r.metres), default=Resolution(1, True))
    return Plan(tuple(assignments), objective, time.perf_counter() - started, "optimal"), coarsest


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _micros(moment: datetime) -> int:
    """Microseconds since 1970, exactly (a float timestamp would round)."""
    return (moment - _EPOCH) // timedelta(microseconds=1)


class _Network:
    """The requests, the slot classes (their chains) and the ladders as arrays (each flow's nodes: `_layout`)."""

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
        # Ladders: one per care channel, exam type and modality, whatever the place and tier, with a step per start
        # (nodes after the sink); a step leads to its slots and to the step below (the far arcs enter them).
        ladder_keys = sorted({key[2:5] for key in keys})
        ladder_number = {key: number for number, key in enumerate(ladder_keys)}
        self.class_ladder = np.array([ladder_number[key[2:5]] for key in keys], dtype=np.int64)
        stepped = self.class_ladder[self.class_of_slot] * self.span + start_rank
        self.steps = np.unique(stepped)
        self.slot_step = np.searchsorted(self.steps, stepped)
        self.step_capacity = np.bincount(self.slot_step, weights=self.capacity, minlength=len(self.steps)).astype(
            np.int64
        )

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

    def ladder_meet(self, ladder: int, deadline_ranks: np.ndarray) -> np.ndarray:
        """For each deadline: the ladder's last step starting no later, or -1."""
        step = np.searchsorted(self.steps, ladder * self.span + deadline_ranks, side="right") - 1
        return np.where(step >= np.searchsorted(self.steps, ladder * self.span), step, -1)

    def ladder_top(self, ladder: int) -> int:
        return int(np.searchsorted(self.steps, (ladder + 1) * self.span)) - 1

    def meet_position(self, classes: np.ndarray, deadline_ranks: np.ndarray) -> np.ndarray:
        """For each (class, deadline): the position of the class's last slot starting no later, or -1."""
        position = np.searchsorted(self.chained, classes * self.span + deadline_ranks, side="right") - 1
        return np.where(position >= self.first[classes], position, -1)


@dataclass
class _Arcs:
    """The arcs from requests: where they enter (a slot of a class's chain, or a ladder for `far` arcs), what the
    pairing is worth (for a far arc: a lower bound of the distance to the classes left out, tier 0)."""

    request: np.ndarray
    head: np.ndarray
    km: np.ndarray
    tier: np.ndarray
    meets: np.ndarray
    far: np.ndarray

    @staticmethod
    def join(parts: list[_Arcs]) -> _Arcs:
        if not parts:
            empty = np.zeros(0, dtype=np.int64)
            return _Arcs(empty, empty, np.zeros(0), empty, np.zeros(0, dtype=bool), np.zeros(0, dtype=bool))
        return _Arcs(*(np.concatenate([getattr(part, name) for part in parts]) for name in _ARC_FIELDS))

    def select(self, mask: np.ndarray) -> _Arcs:
        return _Arcs(*(getattr(self, name)[mask] for name in _ARC_FIELDS))


_ARC_FIELDS = ("request", "head", "km", "tier", "meets", "far")


def _entries(
    network: _Network, rows: np.ndarray, classes: np.ndarray, km: np.ndarray, deadlines: np.ndarray
) -> list[_Arcs]:
    """Arcs for explicit (request, class) pairs: the entry that meets the deadline, and the chain's top."""
    meet = network.meet_position(classes, deadlines)
    top = network.first[classes + 1] - 1
    tier = network.class_tier[classes]
    has_meet = meet >= 0
    late = meet < top
    return [
        _Arcs(
            rows[has_meet],
            meet[has_meet],
            km[has_meet],
            tier[has_meet],
            *_flags(has_meet, True, False),
        ),
        _Arcs(rows[late], top[late], km[late], tier[late], *_flags(late, False, False)),
    ]


def _flags(mask: np.ndarray, meets: bool, far: bool) -> tuple[np.ndarray, np.ndarray]:
    count = int(mask.sum())
    return np.full(count, meets), np.full(count, far)


def _within(network: _Network, rows: np.ndarray, classes: np.ndarray, km: np.ndarray, max_km: np.ndarray) -> np.ndarray:
    """Which (request, class) pairs are within the request's maximum distance. NumPy's km may differ from the rules'
    in the last digit: pairs on the border are decided by the rules themselves."""
    allowed = km <= max_km[:, None] + 1e-6
    border = allowed & (km > max_km[:, None] - 1e-6)
    for i, j in zip(*np.nonzero(border), strict=True):
        request, representative = network.requests[rows[i]], network.slots[network.first[classes[j]]]
        allowed[i, j] = distance_km(request, representative) <= max_km[i]
    return allowed


@dataclass
class _Kind:
    """Requests of one kind (care channel, exam type, modalities): the same compatible classes and ladders."""

    rows: np.ndarray
    classes: np.ndarray
    ladders: np.ndarray  # the kind's (channel, exam, modality) groups that have slots


class _Candidates:
    """Which pairings the flow sees. Each request is joined explicitly to its `limit` nearest compatible classes
    (within its maximum distance); when it has more, one *far* arc per ladder of its kind stands for all the others:
    the ladder reaches every slot of that channel and modality (a relaxation: even beyond the request's maximum
    distance) at a cost no higher than any of them (the distance to the nearest class left out, tier 0). A flow
    that uses no far arc is therefore optimal over every pairing; a request that takes a far arc gets more explicit
    classes (`widen`) and the flow is solved again."""

    def __init__(self, network: _Network) -> None:
        self.network = network
        self.limit = np.full(network.n_requests, NEAREST, dtype=np.int64)
        self.farthest = 0.0
        kinds: dict[tuple[str, str, frozenset[str]], list[int]] = defaultdict(list)
        for number, request in enumerate(network.requests):
            kinds[(request.channel, exam_key(request.channel, request.exam_type), request.modalities)].append(number)
        self.kinds: list[_Kind] = []
        self.kind_of = np.full(network.n_requests, -1, dtype=np.int64)
        for (channel, exam, modalities), members in kinds.items():
            classes = network.classes_for(channel, exam, modalities)
            if not len(classes):
                continue
            self.kind_of[members] = len(self.kinds)
            ladders = np.unique(network.class_ladder[classes])
            self.kinds.append(_Kind(np.array(members, dtype=np.int64), classes, ladders))
        self.lat = np.radians(np.array([r.lat for r in network.requests], dtype=np.float64))
        self.lon = np.radians(np.array([r.lon for r in network.requests], dtype=np.float64))
        self.max_km = np.array([np.inf if r.max_km is None else r.max_km for r in network.requests], dtype=np.float64)
        self.parts: list[_Arcs] = []
        for number, kind in enumerate(self.kinds):
            self.parts.extend(self._pairings(number, kind.rows, measure=True))
        self.arcs = _Arcs.join(self.parts)

    def _pairings(self, number: int, rows: np.ndarray, *, measure: bool = False) -> list[_Arcs]:
        network, kind = self.network, self.kinds[number]
        classes = kind.classes
        parts: list[_Arcs] = []
        chunk = max(1, _CHUNK_PAIRS // len(classes))
        for begin in range(0, len(rows), chunk):
            part = rows[begin : begin + chunk]
            km = km_matrix(self.lat[part], self.lon[part], network.class_lat[classes], network.class_lon[classes])
            allowed = _within(network, part, classes, km, self.max_km[part])
            if measure and allowed.any():
                self.farthest = max(self.farthest, float(km[allowed].max()))
            km = np.where(allowed, km, np.inf)
            for limit in np.unique(self.limit[part]).tolist():
                group = self.limit[part] == limit
                sub, sub_km = part[group], km[group]
                if limit >= len(classes):
                    pair_rows, pair_cols = np.nonzero(np.isfinite(sub_km))
                    parts.extend(
                        _entries(
                            network,
                            sub[pair_rows],
                            classes[pair_cols],
                            sub_km[pair_rows, pair_cols],
                            network.deadline_rank[sub[pair_rows]],
                        )
                    )
                    continue
                nearest = np.argpartition(sub_km, limit, axis=1)
                kept = np.take_along_axis(sub_km, nearest[:, :limit], axis=1)
                pair_rows, pair_cols = np.nonzero(np.isfinite(kept))
                columns = nearest[pair_rows, pair_cols]
                parts.extend(
                    _entries(
                        network,
                        sub[pair_rows],
                        classes[columns],
                        kept[pair_rows, pair_cols],
                        network.deadline_rank[sub[pair_rows]],
                    )
                )
                # The nearest class left out: its distance bounds all the others' from below (two metres spare for
                # the last digits of the arithmetic); a request with no class left out has no far arc.
                bound = sub_km[np.arange(len(sub)), nearest[:, limit]]
                beyond = np.isfinite(bound)
                if beyond.any():
                    parts.extend(self._far(sub[beyond], np.maximum(bound[beyond] - 0.002, 0.0), kind.ladders))
        return parts

    def _far(self, rows: np.ndarray, bound: np.ndarray, ladders: np.ndarray) -> list[_Arcs]:
        network = self.network
        parts = []
        deadlines = network.deadline_rank[rows]
        for ladder in ladders.tolist():
            meet = network.ladder_meet(ladder, deadlines)
            top = network.ladder_top(ladder)
            has_meet = meet >= 0
            late = meet < top
            parts.append(
                _Arcs(
                    rows[has_meet],
                    meet[has_meet],
                    bound[has_meet],
                    np.zeros(int(has_meet.sum()), dtype=np.int64),
                    *_flags(has_meet, True, True),
                )
            )
            parts.append(
                _Arcs(
                    rows[late],
                    np.full(int(late.sum()), top),
                    bound[late],
                    np.zeros(int(late.sum()), dtype=np.int64),
                    *_flags(late, False, True),
                )
            )
        return parts

    def widen(self, requests: np.ndarray) -> None:
        """More explicit classes for these requests (eight times as many), and the arcs again for them alone."""
        self.limit[requests] *= 8
        changed = np.zeros(self.network.n_requests, dtype=bool)
        changed[requests] = True
        parts = [self.arcs.select(~changed[self.arcs.request])]
        for number in np.unique(self.kind_of[requests]).tolist():
            rows = self.kinds[number].rows
            parts.extend(self._pairings(number, rows[changed[rows]]))
        self.arcs = _Arcs.join(parts)


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
    """One flow's network around the request arcs: `entries` (the slot positions where explicit arcs enter, one
    node each, holding the slots since the class's previous entry), the chains, the ladders, to the sink."""

    heads: np.ndarray  # the request arcs' head nodes
    tails_rest: np.ndarray
    heads_rest: np.ndarray
    caps_rest: np.ndarray
    sink: int
    nodes: int


def _layout(network: _Network, arcs: _Arcs) -> _Layout:
    """The network for these request arcs. A class is cut after as many places as requests may enter it (the class's
    earliest slots can serve them all: `_decode`), and slots between two entries are one node (every request that
    reaches one reaches all). Far arcs enter the ladders, which lead to the sink by the capacity of all the
    ladder's slots at each start: a relaxation (those slots are also the explicit arcs'), tight when no far arc
    is used."""
    n_requests = network.n_requests
    explicit = ~arcs.far
    position = arcs.head[explicit]
    klass = network.class_of_slot[position]
    # The class's cut: its earliest slots whose capacity reaches the number of requests that may enter it.
    pairs = np.unique(arcs.request[explicit] * len(network.class_keys) + klass)
    entering = np.bincount(pairs % len(network.class_keys), minlength=len(network.class_keys))
    before = np.concatenate([[0], np.cumsum(network.capacity)])
    begin = network.first[:-1]
    cut = np.searchsorted(before, before[begin] + entering, side="left") - 1
    cut = np.clip(cut, begin, network.first[1:] - 1)
    position = np.minimum(position, cut[klass])
    entries, entry_of_arc = np.unique(position, return_inverse=True)
    entry_class = network.class_of_slot[entries]
    same_class = np.concatenate([[False], entry_class[1:] == entry_class[:-1]])
    previous_end = np.where(same_class, np.concatenate([[0], entries[:-1] + 1]), network.first[entry_class])
    entry_capacity = before[entries + 1] - before[previous_end]
    entry_nodes = n_requests + np.arange(len(entries))
    sink = n_requests + len(entries)
    step_base = sink + 1
    step_nodes = step_base + np.arange(len(network.steps))
    same_ladder = network.steps[1:] // network.span == network.steps[:-1] // network.span
    heads = np.empty(len(arcs.request), dtype=np.int64)
    heads[explicit] = entry_nodes[entry_of_arc]
    heads[~explicit] = step_base + arcs.head[~explicit]
    many = n_requests  # chain and ladder arcs never limit the flow: each request arc carries at most one
    down = int(same_class.sum())
    steps_down = int(same_ladder.sum())
    return _Layout(
        heads=heads,
        tails_rest=np.concatenate([entry_nodes[same_class], entry_nodes, step_nodes[1:][same_ladder], step_nodes]),
        heads_rest=np.concatenate(
            [
                entry_nodes[:-1][same_class[1:]],
                np.full(len(entries), sink),
                step_nodes[:-1][same_ladder],
                np.full(len(step_nodes), sink),
            ]
        ),
        caps_rest=np.concatenate(
            [np.full(down, many), entry_capacity, np.full(steps_down, many), network.step_capacity]
        ),
        sink=sink,
        nodes=step_base + len(network.steps),
    )


def _flow(
    network: _Network,
    layout: _Layout,
    requests: np.ndarray,
    costs: np.ndarray,
    supplies: np.ndarray,
    *,
    may_stay_unplaced: bool,
) -> np.ndarray:
    """One min-cost flow: the request arcs given (tails `requests`, heads the layout's), the layout's other arcs
    and, if requests may stay unplaced, an arc from each straight to the sink at no cost. Returns the flows on the
    request arcs."""
    from ortools.graph.python import min_cost_flow  # here: `manage.py plan --help` and the app start without it

    solver = min_cost_flow.SimpleMinCostFlow()
    may_stay = np.nonzero(supplies)[0] if may_stay_unplaced else np.zeros(0, dtype=np.int64)
    solver.add_arcs_with_capacity_and_unit_cost(
        np.concatenate([requests, layout.tails_rest, may_stay]),
        np.concatenate([layout.heads, layout.heads_rest, np.full(len(may_stay), layout.sink)]),
        np.concatenate(
            [np.ones(len(requests), dtype=np.int64), layout.caps_rest, np.ones(len(may_stay), dtype=np.int64)]
        ),
        np.concatenate([costs, np.zeros(len(layout.tails_rest) + len(may_stay), dtype=np.int64)]),
    )
    node_supplies = np.zeros(layout.nodes, dtype=np.int64)
    node_supplies[: network.n_requests] = supplies
    node_supplies[layout.sink] = -int(supplies.sum())
    solver.set_nodes_supplies(np.arange(layout.nodes), node_supplies)
    status = solver.solve()
    if status == solver.BAD_COST_RANGE:
        raise _CostRange
    if status != solver.OPTIMAL:
        raise RuntimeError(f"the min-cost flow did not solve: {status}")
    return np.asarray(solver.flows(np.arange(len(requests))))


def _decode(network: _Network, entering_requests: np.ndarray, positions: np.ndarray) -> list[tuple[str, str]]:
    """Which request takes which slot. The flow says how many requests each class serves and where each entered its
    chain (the latest slot it may take); within a class every slot is as good for the objective, so they get the
    class's earliest slots, the tightest entry first, then the nearest deadline: feasible whenever the flow was (the
    entries are nested prefixes); the slots used are the class's earliest that can serve them."""
    by_class: dict[int, list[tuple[int, datetime, int]]] = defaultdict(list)
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
    network: _Network, candidates: _Candidates, placed: np.ndarray, met: np.ndarray
) -> tuple[_Arcs, Resolution]:
    """Keep the same requests placed, within their deadline if they were, and minimise the distance to the metre,
    then the tier, among such plans (not over every plan: another placed set of equal worth could be nearer)."""
    count = int(placed.sum())

    def keep(arcs: _Arcs) -> np.ndarray:
        return placed[arcs.request] & (arcs.meets | ~met[arcs.request])

    for metres, tier_exact in _RESOLUTIONS:
        resolution = Resolution(metres, tier_exact, polished=True)

        def cost(arcs: _Arcs, resolution: Resolution = resolution) -> np.ndarray:
            return _pair_costs(arcs.km, arcs.tier, resolution, count)

        try:
            arcs, flows = _rounds(
                network,
                candidates,
                keep,
                cost,
                placed.astype(np.int64),
                may_stay_unplaced=False,
            )
        except _CostRange:
            continue
        break
    else:  # pragma: no cover - kilometres and tiers over a plan stay far below 64 bits
        raise RuntimeError("no unit of distance fits in 64 bits")
    # No arc to the sink but through a slot: the flow places them all (it is feasible: the first flow did).
    if int(flows.sum()) != count:
        raise RuntimeError("the distance polish lost a placed request")
    return arcs.select(flows > 0), resolution


def _rounds(
    network: _Network,
    candidates: _Candidates,
    keep: Callable[[_Arcs], np.ndarray],
    cost: Callable[[_Arcs], np.ndarray],
    supplies: np.ndarray,
    *,
    may_stay_unplaced: bool,
) -> tuple[_Arcs, np.ndarray]:
    """The flow over the candidates' arcs (those `keep` says), again with more explicit classes for the requests
    that took a far arc, until none does: then the flow is optimal over every pairing (see `_Candidates`)."""
    while True:
        arcs = candidates.arcs.select(keep(candidates.arcs))
        flows = _flow(
            network, _layout(network, arcs), arcs.request, cost(arcs), supplies, may_stay_unplaced=may_stay_unplaced
        )
        beyond = np.unique(arcs.request[(flows > 0) & arcs.far])
        if not len(beyond):
            return arcs, flows
        candidates.widen(beyond)


def _solve(instance: Instance) -> tuple[list[tuple[str, str]], Resolution]:
    network = _Network(instance)
    exact = Resolution(1, True)
    if not network.n_requests or not network.n_slots:
        return [], exact
    candidates = _Candidates(network)
    if not len(candidates.arcs.request):
        return [], exact
    nodes = network.n_requests + network.n_slots + 1 + len(network.steps)  # at most, whatever the round
    placeable = len(np.unique(candidates.arcs.request))
    urgency = np.array([r.urgency for r in network.requests], dtype=np.int64)
    supplies = np.ones(network.n_requests, dtype=np.int64)
    for resolution, urgency_weight, placed_weight in _resolutions(placeable, candidates.farthest, nodes):

        def cost(
            arcs: _Arcs, resolution: Resolution = resolution, uw: int = urgency_weight, pw: int = placed_weight
        ) -> np.ndarray:
            return _pair_costs(arcs.km, arcs.tier, resolution, placeable) - pw - uw * urgency[arcs.request] * arcs.meets

        try:
            arcs, flows = _rounds(
                network,
                candidates,
                lambda arcs: np.ones(len(arcs.request), dtype=bool),
                cost,
                supplies,
                may_stay_unplaced=True,
            )
        except _CostRange:
            continue
        break
    else:  # pragma: no cover - the last weighting's costs are a few times the number of requests
        raise RuntimeError("no weighting of the costs fits in 64 bits")
    chosen = arcs.select(flows > 0)
    if resolution != exact:
        placed = np.zeros(network.n_requests, dtype=bool)
        placed[chosen.request] = True
        met = np.zeros(network.n_requests, dtype=bool)
        met[chosen.request[chosen.meets]] = True
        chosen, resolution = _polish(network, candidates, placed, met)
    return _decode(network, chosen.request, chosen.head), resolution
