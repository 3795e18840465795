"""Secondary suppression: which counts of a table to hide so that no count from 1 to 4 can be worked out, even by
subtracting the shown cells from a total shown elsewhere.

Plain Python over cells `(row, column)` and their counts; `tables.Table` says which cells sum to what.

The rule (the usual one of statistical offices, as the CNIL and the ARS expect of aggregated health data):
1. *Primary*: a count from 1 to 4 is hidden and shown as "< 5". A zero is shown as 0: it reveals nobody.
2. *Secondary*: for every sum a reader knows (a table's total row, a headline figure such as the period's requests, a
   month's total across cares, a care's total across months, places offered = taken + not taken + still to come), the
   hidden cells of the sum must not be pinned down by it: a sum with one hidden cell gets a second one, and a sum whose
   hidden cells still give one of them away (two "< 5" summing to 8 are two 4s) gets another. The cell hidden next is
   the smallest non-zero shown one of that sum (a zero only when none is left: shown, zeros can pin the others down).
   Such a cell is shown as "hidden", which says nothing of its size (it may be 0).
3. A rate computed from a hidden count is hidden too (the table does that).

What the reader (the attacker of the tests) is assumed to know: every shown cell; that a "< 5" is 1, 2, 3 or 4; that
a "hidden" cell is 0 or more; every declared sum, exactly when it is 0 or 5 or more, and as "from 1 to 4" when it is
small; and since wherever such a sum is shown it is shown under the same rule, a sum hidden there is not known
(`margins`: the totals of the months or of the cares form a table of their own, suppressed as any table; the
period's places taken, not taken and to come split its places offered, suppressed as a one-way table).
Sums not shown anywhere are declared all the same when they could be: assuming the reader knows more only makes the
protection stronger.

The protection holds when, for every hidden count from 1 to 4, the values the reader finds consistent with all of
that number at least two. Each sum alone is checked exactly by interval arithmetic (one equation over intervals:
every value between its bounds is reachable); when sums cross (a two-way table), the whole system is checked by a
constraint solver (OR-Tools' CP-SAT, the placement engine's library): for each hidden small count, is there a
solution where it has another value?

If a sum cannot be protected by hiding more of its cells (all its other cells are hidden or `fixed`), its "< 5"
cells are shown as "hidden" instead, which drops what the reader knew of their size. `fixed` cells are never hidden to
protect others: figures a reader has anyway (shown elsewhere), so hiding them would protect nothing.

Known limit: what figures shown elsewhere give away by themselves is out of a table's reach. The period's places
still to come are offered − taken − not taken, three headline figures; when they are from 1 to 4 (free places, not
people), a reader subtracts them whatever the places table hides, unless the headline hides one of the three as
`margins` assumes. A document that shows a table and a headline of the same period should take the headline's figures
from the suppressed table's total row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass
from typing import Any

SMALL = 5  # counts from 1 to SMALL - 1 are hidden

Cell = tuple[int, int]  # (row, column)


@dataclass(frozen=True)
class Sum:
    """Cells whose sum a reader knows: from `total`, a cell of the same table (a total row, places offered beside
    their parts), or, when `total` is None, from elsewhere (the headline, another table, the yearly figure)."""

    cells: tuple[Cell, ...]
    total: Cell | None = None


@dataclass(frozen=True)
class Suppression:
    primary: frozenset[Cell]  # shown as "< 5": the reader knows it is from 1 to 4
    secondary: frozenset[Cell]  # shown as "hidden": the reader knows it is 1 or more

    @property
    def hidden(self) -> frozenset[Cell]:
        return self.primary | self.secondary


def small(value: int) -> bool:
    return 0 < value < SMALL


Interval = tuple[int, int | None]  # None: no upper bound


def _domain(cell: Cell, values: Mapping[Cell, int], primary: set[Cell], secondary: set[Cell]) -> Interval:
    if cell in primary:
        return (1, SMALL - 1)
    if cell in secondary:
        return (0, None)  # "hidden" says nothing of the count: it may even be 0
    value = values[cell]
    return (value, value)


def _total_domain(total: int) -> Interval:
    """A sum shown elsewhere, as the reader knows it: exactly, unless it is small (then shown as "< 5" there too)."""
    return (1, SMALL - 1) if small(total) else (total, total)


def _add(a: Interval, b: Interval) -> Interval:
    return (a[0] + b[0], None if a[1] is None or b[1] is None else a[1] + b[1])


def _pinned(group: Sum, values: Mapping[Cell, int], primary: set[Cell], secondary: set[Cell]) -> list[Cell]:
    """The hidden small counts of the sum (a "< 5", or a small count shown "hidden") that the sum alone pins down:
    exact for one equation over intervals, where every value between the bounds is reachable."""
    hidden = primary | secondary
    members = [_domain(c, values, primary, secondary) for c in group.cells]
    if group.total is None:
        whole = _total_domain(sum(values[c] for c in group.cells))
    else:
        whole = _domain(group.total, values, primary, secondary)
    pinned = []
    for index, cell in enumerate(group.cells):
        if cell not in hidden or not small(values[cell]):
            continue
        others: Interval = (0, 0)
        for other, domain in enumerate(members):
            if other != index:
                others = _add(others, domain)
        own = members[index]
        low = own[0] if others[1] is None else max(own[0], whole[0] - others[1])
        highs = [h for h in (own[1], None if whole[1] is None else whole[1] - others[0]) if h is not None]
        if highs and low >= min(highs):
            pinned.append(cell)
    if group.total is not None and group.total in hidden and small(values[group.total]):
        everything: Interval = (0, 0)
        for domain in members:
            everything = _add(everything, domain)
        own = whole
        highs = [h for h in (own[1], everything[1]) if h is not None]
        if highs and max(own[0], everything[0]) >= min(highs):
            pinned.append(group.total)
    return pinned


def _candidates(group: Sum, values: Mapping[Cell, int], hidden: Set[Cell]) -> list[Cell]:
    """The sum's shown cells in the order to hide them: its non-zero parts, smallest first, then its zeros (a last
    resort: a zero says nobody, but shown it can pin the others down), then its total."""
    parts = sorted((c for c in group.cells if c not in hidden), key=lambda c: (values[c] == 0, values[c], c))
    if group.total is not None and group.total not in hidden:
        parts.append(group.total)
    return parts


def suppress(values: Mapping[Cell, int], sums: Sequence[Sum], fixed: Set[Cell] = frozenset()) -> Suppression:
    """The cells to hide: every count from 1 to 4, then as many others as the declared sums need. `fixed` cells are
    never hidden to protect others (a total row: the headline shows the same figures, hiding them would be vain)."""
    primary = {cell for cell, value in values.items() if small(value)}
    secondary: set[Cell] = set()
    crossing = _crossing(sums)
    # A small count shown to have two possible values keeps them: hiding more, or saying less of a cell, only widens
    # what the reader must consider. So each is proven once.
    free: set[Cell] = set()
    for _round in range(2 * len(values) + 1):  # each round hides or relaxes a cell, or ends
        changed = _protect_each_sum(values, sums, primary, secondary, fixed)
        if crossing:
            touched: set[int] = set()  # the sums that got a hidden cell this round: their cells are checked again next
            for cell in _determined(values, sums, primary, secondary, free):
                around = {i for i, g in enumerate(sums) if cell in g.cells or cell == g.total}
                if around & touched:
                    continue
                if _hide_around(cell, values, sums, primary, secondary, fixed):
                    touched |= around
                    changed = True
        if not changed:
            break
    return Suppression(frozenset(primary), frozenset(secondary))


def published(partition: Sequence[Sum], values: Mapping[Cell, int]) -> list[Sum]:
    """Of sums shown elsewhere that split one whole (each care's places across months, which add up to the period's),
    those a reader knows: they are shown under this same rule, so a small one as "< 5" (kept: read as 1 to 4) and
    those hidden there to protect it not at all (left out)."""
    totals = {(index, 0): sum(values[c] for c in group.cells) for index, group in enumerate(partition)}
    there = suppress(totals, [Sum(tuple(totals))])
    return [group for index, group in enumerate(partition) if (index, 0) not in there.secondary]


def margins(
    groups: Sequence[Sequence[int]],
    columns: Sequence[int],
    values: Mapping[Cell, int],
    parts: Sequence[tuple[int, tuple[int, ...]]] = (),
) -> list[Sum]:
    """The sums of each group of rows (a month's rows across cares, a care's across months, or all the rows: the
    period's figures), column by column, those a reader knows where they are shown under this same rule. The period's
    figures are the headline's, known except those hidden there to protect another (places taken, not taken and to
    come split the places offered: a small one among them takes another with it). The groups' totals form a table of
    their own (group × column, each column summing to the period's figure, and within a group the parts to their
    whole), suppressed as any table: its hidden cells are not known, its small ones are known as 1 to 4."""
    totals = {(g, c): sum(values[(r, c)] for r in rows) for g, rows in enumerate(groups) for c in columns}
    period = {c: sum(totals[(g, c)] for g in range(len(groups))) for c in columns}
    known_period = set(columns)
    for _whole, split in parts:
        there = suppress({(0, c): period[c] for c in split}, [Sum(tuple((0, c) for c in split))])
        known_period -= {c for c in split if (0, c) in there.secondary}
    if len(groups) == 1:
        known = {(0, c) for c in known_period}
    else:
        sums = [Sum(tuple((g, c) for g in range(len(groups)))) for c in columns if c in known_period]
        sums += [Sum(tuple((g, p) for p in split), (g, whole)) for g in range(len(groups)) for whole, split in parts]
        hidden_there = suppress(totals, sums).secondary
        known = {cell for cell in totals if cell not in hidden_there}
    return [
        Sum(tuple((r, c) for r in rows)) for g, rows in enumerate(groups) for c in columns if (g, c) in known and rows
    ]


def _protect_each_sum(
    values: Mapping[Cell, int], sums: Sequence[Sum], primary: set[Cell], secondary: set[Cell], fixed: Set[Cell]
) -> bool:
    changed = False
    progress = True
    while progress:
        progress = False
        for group in sums:
            pinned = _pinned(group, values, primary, secondary)
            if not pinned:
                continue
            candidates = _candidates(group, values, primary | secondary | fixed)
            if candidates:
                secondary.add(candidates[0])
                progress = changed = True
            elif relaxed := [cell for cell in pinned if cell in primary]:
                for cell in relaxed:  # nothing left to hide in this sum: its "< 5" no longer say their size
                    primary.discard(cell)
                    secondary.add(cell)
                progress = changed = True
            # else: what the reader knows pins it whatever the table hides (suppression.py's known limit)
    return changed


def _hide_around(
    cell: Cell,
    values: Mapping[Cell, int],
    sums: Sequence[Sum],
    primary: set[Cell],
    secondary: set[Cell],
    fixed: Set[Cell],
) -> bool:
    """`cell` is pinned down by sums together: hide the smallest shown non-zero cell of a sum it is in; if there is
    none, of a sum that a hidden cell of those is in (the hidden cell may be pinned by its own sums), and so on; or
    else say less of it. False when nothing is left."""
    hidden = primary | secondary
    reached, frontier = {cell}, [cell]
    while frontier:
        around = [g for g in sums if any(c in g.cells or c == g.total for c in frontier)]
        options = [candidate for group in around for candidate in _candidates(group, values, hidden | fixed)]
        if options:
            totals = {g.total for g in sums}  # a total row or a whole last, as within a sum
            secondary.add(min(options, key=lambda c: (c in totals, values[c] == 0, values[c], c)))
            return True
        linked = {c for g in around for c in (*g.cells, *([g.total] if g.total is not None else [])) if c in hidden}
        frontier = sorted(linked - reached)
        reached |= linked
    if cell in primary:
        primary.discard(cell)
        secondary.add(cell)
        return True
    return False


def _crossing(sums: Sequence[Sum]) -> bool:
    """Whether a cell is in two sums or more (then sums together can say more than each alone)."""
    seen: set[Cell] = set()
    for group in sums:
        for cell in (*group.cells, *([group.total] if group.total is not None else [])):
            if cell in seen:
                return True
            seen.add(cell)
    return False


def _components(hidden: set[Cell], sums: Sequence[Sum]) -> list[tuple[set[Cell], list[Sum]]]:
    """The hidden cells split into groups that no sum links, each with the sums over it."""
    parent = {cell: cell for cell in hidden}

    def root(cell: Cell) -> Cell:
        while parent[cell] != cell:
            parent[cell] = parent[parent[cell]]
            cell = parent[cell]
        return cell

    touching = []
    for group in sums:
        inside = [c for c in (*group.cells, *([group.total] if group.total is not None else [])) if c in hidden]
        if inside:
            touching.append((group, inside[0]))
            for cell in inside[1:]:
                parent[root(cell)] = root(inside[0])
    found: dict[Cell, tuple[set[Cell], list[Sum]]] = {}
    for cell in hidden:
        found.setdefault(root(cell), (set(), []))[0].add(cell)
    for group, cell in touching:
        found[root(cell)][1].append(group)
    return list(found.values())


def _determined(
    values: Mapping[Cell, int], sums: Sequence[Sum], primary: set[Cell], secondary: set[Cell], free: set[Cell]
) -> list[Cell]:
    """The hidden small counts whose value the reader can work out from all the sums together, group of linked hidden
    cells by group; `free` holds the cells already shown to have another possible value, and gets the new ones."""
    return [
        cell
        for cells, involved in _components(primary | secondary, sums)
        if {c for c in cells if small(values[c])} - free
        for cell in _pinned_together(cells, involved, values, primary, secondary, free)
    ]


def _pinned_together(
    cells: set[Cell],
    involved: list[Sum],
    values: Mapping[Cell, int],
    primary: set[Cell],
    secondary: set[Cell],
    free: set[Cell],
) -> list[Cell]:
    """With CP-SAT: a solution with the "< 5" as small as possible and one with them as large as possible free every
    cell that differs from its true value in one of them; each cell left is asked on its own whether a solution gives
    it another value (each solution found frees the cells it moves too)."""
    from ortools.sat.python import cp_model  # imported when needed: it takes a second

    wanted = sorted(c for c in cells if small(values[c]) and c not in free)
    bound = sum(values.values()) + 1
    model = cp_model.CpModel()
    variables: dict[Cell, Any] = {}
    for cell in sorted(cells):
        low, high = _domain(cell, values, primary, secondary)
        variables[cell] = model.new_int_var(low, high if high is not None else bound, f"x{cell[0]}_{cell[1]}")
    for group in involved:
        left = sum(variables.get(c, values[c]) for c in group.cells)
        if group.total is not None:
            model.add(left == variables.get(group.total, values[group.total]))
        else:
            low, high = _total_domain(sum(values[c] for c in group.cells))
            model.add(left >= low)
            model.add(left <= high)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = 5.0
    solver.parameters.cp_model_presolve = False  # tiny models: presolving and symmetries cost more than they save
    solver.parameters.symmetry_level = 0
    solved = (cp_model.OPTIMAL, cp_model.FEASIBLE)
    for sense in (model.minimize, model.maximize):
        sense(sum(variables[c] for c in wanted))
        if solver.solve(model) in solved:
            free.update(c for c in wanted if solver.value(variables[c]) != values[c])
    model.clear_objective()
    determined = []
    for cell in wanted:
        if cell in free:
            continue
        attempt = model.clone()
        attempt.add(attempt.get_int_var_from_proto_index(variables[cell].index) != values[cell])
        if solver.solve(attempt) in solved:
            free.update(
                c for c in wanted if solver.value(attempt.get_int_var_from_proto_index(variables[c].index)) != values[c]
            )
        else:  # no other value (or no answer in time: counted as worked out)
            determined.append(cell)
    return determined
