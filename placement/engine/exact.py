"""The exact optimum, to check the solver: one variable per compatible (request, slot) pair, and the four levels
optimised in turn by linear programming (HiGHS's dual simplex through SciPy), each over the optimal face of the ones
before.

Nothing is shared with the solver but the rules (`rules.compatible`, `rules.distance_km`): no slot classes, no
chains, no weights. Why it is exact: the constraints (each request at most once, each slot within its capacity) form
a bipartite incidence matrix, totally unimodular, so an optimal vertex is integral. After a level is solved, its
optimal dual solution describes every optimal plan (complementary slackness): a pair whose reduced cost is not zero
is fixed at 0 or 1, a constraint whose dual value is not zero becomes an equality. The next level is optimised over
that face, still a bipartite system with integral bounds, so its vertices stay integral. The answer is checked
integral (a mixed integer program takes over if the arithmetic ever left it fractional).

Slow by design (every pair is a variable): instances up to a few hundred requests and a few thousand slots, in the
tests and the benchmarks. SciPy is a development dependency; the app never imports this module.
"""

from __future__ import annotations

import time

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, linprog, milp
from scipy.sparse import coo_array, csr_array, vstack

from .model import Instance, Plan
from .rules import compatible, distance_km, evaluate, meets_deadline

_TOLERANCE = 1e-9


def plan_exact(instance: Instance) -> Plan:
    started = time.perf_counter()
    pairs = [
        (r, s)
        for r, request in enumerate(instance.requests)
        for s, slot in enumerate(instance.slots)
        if compatible(request, slot, instance.now)
    ]
    if not pairs:
        return Plan((), evaluate(instance, ()), time.perf_counter() - started, "exact")
    n = len(pairs)
    rows = np.array([r for r, _ in pairs])
    cols = np.array([s for _, s in pairs])
    matrix = csr_array(
        vstack(
            [
                coo_array((np.ones(n), (rows, np.arange(n))), shape=(len(instance.requests), n)),
                coo_array((np.ones(n), (cols, np.arange(n))), shape=(len(instance.slots), n)),
            ]
        )
    )
    limits = np.concatenate([np.ones(len(instance.requests)), [slot.capacity for slot in instance.slots]])
    urgency = [
        instance.requests[r].urgency if meets_deadline(instance.requests[r], instance.slots[s]) else 0 for r, s in pairs
    ]
    levels = (
        -np.array(urgency, dtype=float),  # maximise
        -np.ones(n),  # maximise
        np.array([distance_km(instance.requests[r], instance.slots[s]) for r, s in pairs]),
        np.array([instance.slots[s].tier for _, s in pairs], dtype=float),
    )
    face = _Face(matrix, limits, n)
    x = np.zeros(n)
    for number, cost in enumerate(levels):
        x = face.optimise(cost, last=number == len(levels) - 1)
    chosen = [pairs[i] for i in np.nonzero(x > 0.5)[0]]
    assignments = tuple((instance.requests[r].id, instance.slots[s].id) for r, s in chosen)
    return Plan(assignments, evaluate(instance, assignments), time.perf_counter() - started, "exact")


class _Face:
    """The plans still optimal for the levels solved so far: fixed pairs and constraints held tight."""

    def __init__(self, matrix: csr_array, limits: np.ndarray, n: int) -> None:
        self.matrix = matrix
        self.limits = limits
        self.tight = np.zeros(len(limits), dtype=bool)
        self.lower = np.zeros(n)
        self.upper = np.ones(n)

    def optimise(self, cost: np.ndarray, *, last: bool) -> np.ndarray:
        loose = ~self.tight
        result = linprog(
            cost,
            A_ub=self.matrix[loose] if loose.any() else None,
            b_ub=self.limits[loose] if loose.any() else None,
            A_eq=self.matrix[self.tight] if self.tight.any() else None,
            b_eq=self.limits[self.tight] if self.tight.any() else None,
            bounds=np.column_stack([self.lower, self.upper]),
            method="highs-ds",
        )
        if not result.success:
            raise RuntimeError(f"the linear program failed: {result.message}")
        x = result.x
        if not last:
            scale = max(1.0, float(np.abs(cost).max()))
            # A pair's reduced cost, for pairs not fixed yet (a fixed pair's dual may sit on either bound).
            reduced = result.lower.marginals + result.upper.marginals
            free = self.lower < self.upper
            self.upper[free & (reduced > _TOLERANCE * scale)] = 0
            self.lower[free & (reduced < -_TOLERANCE * scale)] = 1
            if loose.any():
                newly = np.zeros(len(self.limits), dtype=bool)
                newly[np.nonzero(loose)[0][result.ineqlin.marginals < -_TOLERANCE * scale]] = True
                self.tight |= newly
        if np.all(np.abs(x - np.rint(x)) < 1e-7):
            return np.rint(x)
        return self._integer(cost)  # never seen: the vertex of a unimodular system is integral

    def _integer(self, cost: np.ndarray) -> np.ndarray:
        constraints = [LinearConstraint(self.matrix, np.where(self.tight, self.limits, -np.inf), self.limits)]
        result = milp(
            cost, constraints=constraints, integrality=np.ones(len(cost)), bounds=Bounds(self.lower, self.upper)
        )
        if not result.success:
            raise RuntimeError(f"the integer program failed: {result.message}")
        return np.rint(result.x)
