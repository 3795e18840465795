"""The secondary suppression attacked: a reader who knows every shown cell and every total a reader can see solves for
each hidden cell, and must never find only one value for a "< 5".

The attacker is written here on its own (a small bounds-propagation and branching solver), not with the library the
suppression uses to check itself. What it knows (indicators/suppression.py says why): a shown cell exactly; a "< 5" is
1 to 4; a cell shown "hidden" is 0 or more; a sum a reader knows (the total row, the headline, a month's total across
cares, a care's across months, places offered beside their parts) exactly when it is 0 or 5 or more, and as 1 to 4
when it is small (it is shown under the same rule wherever it is shown, `published`: the totals hidden there to
protect a small one are not known).

Here the tables are plain grids of counts with the sums built by the tests themselves; test_tables_suppressed.py attacks
the dashboard's tables as they declare their sums."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indicators.suppression import SMALL, Sum, Suppression, suppress
from indicators.suppression import margins as known_margins

LESS_THAN = f"< {SMALL}"
UNBOUNDED = 10**6


@dataclass
class Var:
    low: int
    high: int


# A constraint: the sum of `cells` equals `total` (a cell, or a known interval when the sum is shown elsewhere).
Constraint = tuple[tuple[tuple[int, int], ...], "tuple[int, int] | Var"]


def _bounds(term: Var | int) -> tuple[int, int]:
    return (term, term) if isinstance(term, int) else (term.low, term.high)


def _propagate(
    domains: dict[tuple[int, int], Var], knowns: dict[tuple[int, int], int], system: list[Constraint]
) -> bool:
    """Tightens every hidden cell's bounds until nothing changes; False when some cell has no value left."""
    changed = True
    while changed:
        changed = False
        for cells, total in system:
            terms: list[Var | int] = [domains.get(c, knowns.get(c, 0)) for c in cells]
            whole: Var | int = total if isinstance(total, Var) else domains.get(total, knowns.get(total, 0))
            whole_low, whole_high = _bounds(whole)
            all_low = sum(_bounds(t)[0] for t in terms)
            all_high = sum(_bounds(t)[1] for t in terms)
            for term in terms:
                if isinstance(term, int):
                    continue
                rest_low, rest_high = all_low - term.low, all_high - term.high
                low, high = max(term.low, whole_low - rest_high), min(term.high, whole_high - rest_low)
                if low > high:
                    return False
                if (low, high) != (term.low, term.high):
                    all_low, all_high = rest_low + low, rest_high + high
                    term.low, term.high, changed = low, high, True
            if isinstance(whole, Var):
                low, high = max(whole.low, all_low), min(whole.high, all_high)
                if low > high:
                    return False
                if (low, high) != (whole.low, whole.high):
                    whole.low, whole.high, changed = low, high, True
    return True


def _solvable(
    domains: dict[tuple[int, int], Var], knowns: dict[tuple[int, int], int], system: list[Constraint]
) -> bool:
    """Whether the hidden cells have values satisfying every constraint (propagation, then branching on a cell)."""
    domains = {c: Var(v.low, v.high) for c, v in domains.items()}
    system = [(cells, Var(t.low, t.high) if isinstance(t, Var) else t) for cells, t in system]
    if not _propagate(domains, knowns, system):
        return False
    open_cells = [c for c, v in domains.items() if v.low < v.high]
    if not open_cells:
        return all(
            sum(domains[c].low if c in domains else knowns[c] for c in cells)
            in (range(total.low, total.high + 1) if isinstance(total, Var) else [_value(total, domains, knowns)])
            for cells, total in system
        )
    cell = min(open_cells, key=lambda c: domains[c].high - domains[c].low)
    middle = (domains[cell].low + domains[cell].high) // 2
    for low, high in ((domains[cell].low, middle), (middle + 1, domains[cell].high)):
        if _solvable({**domains, cell: Var(low, high)}, knowns, system):
            return True
    return False


def _value(cell: tuple[int, int], domains: dict[tuple[int, int], Var], knowns: dict[tuple[int, int], int]) -> int:
    return domains[cell].low if cell in domains else knowns[cell]


def attack(shown: list[list[object]], truth: list[list[object]], sums: list[Sum]) -> dict[tuple[int, int], set[int]]:
    """For every hidden cell of `shown` whose true count is from 1 to 4 (a "< 5", or a small count shown "hidden"), the
    values a reader finds consistent with what is shown and with the sums: those from 1 to 4, and 5 standing for
    "5 or more" when a "hidden" cell could be that large (`truth` only gives the sums shown elsewhere, as a reader sees
    them, and says which cells to ask about)."""
    domains: dict[tuple[int, int], Var] = {}
    knowns: dict[tuple[int, int], int] = {}
    for r, row in enumerate(shown):
        for c, value in enumerate(row):
            if isinstance(value, int):
                knowns[(r, c)] = value
            elif value == LESS_THAN:
                domains[(r, c)] = Var(1, SMALL - 1)
            elif isinstance(truth[r][c], int):  # a count shown "hidden": 0 or more
                domains[(r, c)] = Var(0, UNBOUNDED)
    system: list[Constraint] = []
    for group in sums:
        if group.total is not None:
            system.append((group.cells, group.total))
        else:
            total = sum(int(truth[r][c]) for r, c in group.cells)  # type: ignore[call-overload]
            system.append((group.cells, Var(1, SMALL - 1) if 0 < total < SMALL else Var(total, total)))
    found = {}
    for cell, domain in domains.items():
        if not 0 < int(truth[cell[0]][cell[1]]) < SMALL:  # type: ignore[call-overload]
            continue  # a large count hidden to protect a small one: not sensitive itself
        found[cell] = {
            value
            for value in range(domain.low, SMALL)
            if _solvable({**domains, cell: Var(value, value)}, knowns, system)
        }
        if domain.high > SMALL - 1 and _solvable({**domains, cell: Var(SMALL, domain.high)}, knowns, system):
            found[cell].add(SMALL)
    return found


def shown_grid(grid: list[list[object]], found: Suppression) -> list[list[object]]:
    return [
        [
            LESS_THAN if (r, c) in found.primary else "hidden" if (r, c) in found.secondary else value
            for c, value in enumerate(row)
        ]
        for r, row in enumerate(grid)
    ]


def assert_protected(
    grid: list[list[object]], sums: list[Sum], fixed: frozenset[tuple[int, int]] = frozenset()
) -> list[list[object]]:
    """Suppresses the grid's counts under `sums`, attacks what is shown, and returns it."""
    values = {(r, c): v for r, row in enumerate(grid) for c, v in enumerate(row) if isinstance(v, int)}
    shown = shown_grid(grid, suppress(values, sums, fixed))
    for cell in fixed:
        assert shown[cell[0]][cell[1]] in (values[cell], LESS_THAN), "a fixed cell is hidden to protect others"
    for cell, before in values.items():
        if 0 < before < SMALL:
            assert not isinstance(shown[cell[0]][cell[1]], int), "a count under 5 is shown"
    for cell, possible in attack(shown, grid, sums).items():
        assert grid[cell[0]][cell[1]] in possible, f"the attacker's model is wrong at {cell}"
        assert len(possible) >= 2, f"the hidden count at {cell} is {possible.pop()}, worked out from the totals"
    return shown


def margins(grid: list[list[object]], keys: tuple[int, ...], columns: tuple[int, ...]) -> list[Sum]:
    """For each count column, the rows sharing the values of `keys` summed (`()`: all the rows)."""
    groups: dict[tuple[object, ...], list[int]] = {}
    for r, row in enumerate(grid):
        groups.setdefault(tuple(row[k] for k in keys), []).append(r)
    return [Sum(tuple((r, c) for r in rows)) for rows in groups.values() for c in columns]


def with_total_row(grid: list[list[object]], columns: tuple[int, ...]) -> tuple[list[list[object]], list[Sum]]:
    """The grid with a total row, and the sums of each column onto it."""
    total: list[object] = ["Total", *[""] * (len(grid[0]) - 1)]
    for c in columns:
        total[c] = sum(int(row[c]) for row in grid)  # type: ignore[call-overload]
    return [*grid, total], [Sum(tuple((r, c) for r in range(len(grid))), (len(grid), c)) for c in columns]


# The attacker itself is checked first: it must find what an unprotected table gives away.
def test_the_attacker_finds_a_count_given_away_by_the_total() -> None:
    truth: list[list[object]] = [["a", 3], ["b", 12], ["c", 0]]
    shown: list[list[object]] = [["a", LESS_THAN], ["b", 12], ["c", 0]]  # 15 shown in the headline: 15 - 12 = 3
    assert attack(shown, truth, [Sum(((0, 1), (1, 1), (2, 1)))]) == {(0, 1): {3}}
    two: list[list[object]] = [["a", LESS_THAN], ["b", LESS_THAN], ["c", 10]]
    assert attack(two, [["a", 4], ["b", 4], ["c", 10]], [Sum(((0, 1), (1, 1), (2, 1)))]) == {
        (0, 1): {4},
        (1, 1): {4},
    }  # two "< 5" summing to 8 are two 4s


def test_the_attacker_solves_a_two_way_table() -> None:
    """Each row and each column alone leaves two hidden cells, yet together they pin one down."""
    truth: list[list[object]] = [[1, 20, 30], [40, 2, 50], [60, 70, 3]]
    shown: list[list[object]] = [[LESS_THAN, "hidden", 30], ["hidden", LESS_THAN, 50], [60, 70, LESS_THAN]]
    rows = [Sum(tuple((r, c) for c in range(3))) for r in range(3)]
    columns = [Sum(tuple((r, c) for r in range(3))) for c in range(3)]
    assert attack(shown, truth, rows + columns)[(2, 2)] == {3}  # the last row: 133 - 130


def test_the_attacker_reads_a_small_total_as_small() -> None:
    """A sum from 1 to 4 is itself shown as "< 5": a lone 3 under a total of 3 stays unknown."""
    assert attack([["a", LESS_THAN], ["b", 0]], [["a", 3], ["b", 0]], [Sum(((0, 1), (1, 1)))]) == {(0, 1): {1, 2, 3, 4}}


def test_a_lone_small_count_gets_a_companion_the_smallest_other_one() -> None:
    grid, sums = with_total_row([["a", 3], ["b", 40], ["c", 9], ["d", 0]], (1,))
    shown = assert_protected(grid, sums)
    assert [row[1] for row in shown] == [LESS_THAN, 40, "hidden", 0, 52]  # 9: the smallest non-zero shown


def test_two_small_counts_that_give_each_other_away_get_a_third() -> None:
    grid, sums = with_total_row([["a", 4], ["b", 4], ["c", 6], ["d", 30]], (1,))
    assert [row[1] for row in assert_protected(grid, sums)] == [LESS_THAN, LESS_THAN, "hidden", 30, 44]


def test_a_zero_is_hidden_when_nothing_else_is_left_before_the_total() -> None:
    """Two 4s under a total of 8: the zero beside them is hidden (for the reader it may be more), the total stays."""
    grid, sums = with_total_row([["a", 4], ["b", 4], ["c", 0]], (1,))
    assert [row[1] for row in assert_protected(grid, sums)] == [LESS_THAN, LESS_THAN, "hidden", 8]


def test_small_counts_with_nothing_left_to_hide_say_less_of_themselves() -> None:
    """Two 4s under a total of 8 shown elsewhere (fixed): they are shown "hidden" (0 or more), not "< 5"."""
    grid, sums = with_total_row([["a", 4], ["b", 4]], (1,))
    assert [row[1] for row in assert_protected(grid, sums, fixed=frozenset({(2, 1)}))] == ["hidden", "hidden", 8]


def test_nothing_is_hidden_without_a_small_count() -> None:
    assert not suppress({(0, 0): 12, (1, 0): 30, (2, 0): 0}, [Sum(((0, 0), (1, 0), (2, 0)))]).hidden


counts = st.one_of(st.integers(0, SMALL - 1), st.integers(0, 40))  # many small ones, zeros, and larger ones


@settings(max_examples=120, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(counts, min_size=1, max_size=8), st.sampled_from(["elsewhere", "total row", "fixed total row"]))
def test_no_hidden_count_of_a_one_way_table_can_be_worked_out(values: list[int], total: str) -> None:
    grid: list[list[object]] = [[f"r{i}", v] for i, v in enumerate(values)]
    if total == "elsewhere":  # the rows sum to a figure shown elsewhere (the period's requests in the headline)
        assert_protected(grid, margins(grid, (), (1,)))
    else:
        grid, sums = with_total_row(grid, (1,))
        assert_protected(grid, sums, frozenset({(len(values), 1)}) if total == "fixed total row" else frozenset())


@st.composite
def two_way(draw: st.DrawFn, parts: bool = False) -> tuple[list[list[object]], list[Sum]]:
    """Months × cares, summed both ways (a month's total across cares, a care's across months, the period's); with
    `parts`, each row's offered = taken + not taken + to come, as the places table has them."""
    months, cares = draw(st.integers(1, 4)), draw(st.integers(1, 3))
    grid: list[list[object]] = []
    for m in range(months):
        for c in range(cares):
            if parts:
                taken, not_taken, upcoming = draw(counts), draw(counts), draw(st.integers(0, 3))
                grid.append([f"m{m}", f"c{c}", taken + not_taken + upcoming, taken, not_taken, upcoming])
            else:
                grid.append([f"m{m}", f"c{c}", draw(counts)])
    columns = (2, 3, 4, 5) if parts else (2,)
    # A month's total and a care's total, as shown elsewhere under the same rule: the reader reads a small one as
    # 1 to 4 and does not have those hidden there to protect it (else 15 places taken in all, 14 of them GP ones,
    # would give away the one physiotherapy place whatever this table hides).
    values = {(r, c): v for r, row in enumerate(grid) for c, v in enumerate(row) if isinstance(v, int)}
    split = ((2, (3, 4, 5)),) if parts else ()
    by_month = [[r for r, row in enumerate(grid) if row[0] == f"m{m}"] for m in range(months)]
    by_care = [[r for r, row in enumerate(grid) if row[1] == f"c{c}"] for c in range(cares)]
    sums = known_margins(by_month, columns, values, split) + known_margins(by_care, columns, values, split)
    if draw(st.booleans()):
        grid, on_total = with_total_row(grid, columns)
        sums += on_total
    else:  # the period's figures, as the headline shows them
        sums += known_margins([list(range(len(grid)))], columns, values, split)
    if parts:
        sums += [Sum(((r, 3), (r, 4), (r, 5)), (r, 2)) for r in range(len(grid))]
    return grid, sums


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(two_way())
def test_no_hidden_count_of_a_two_way_table_can_be_worked_out(table: tuple[list[list[object]], list[Sum]]) -> None:
    assert_protected(*table)


@settings(max_examples=30, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(two_way(parts=True))
def test_no_hidden_count_of_the_places_table_can_be_worked_out(table: tuple[list[list[object]], list[Sum]]) -> None:
    assert_protected(*table)


@pytest.mark.parametrize(
    "values",
    [[0, 0, 0], [2], [3, 0], [1, 1, 1, 1], [4, 4, 4], [1, 2, 3, 4, 5], [4, 5], [1, 6], [50, 1, 60]],
    ids=["zeros", "one-small", "small-and-zero", "all-ones", "all-fours", "ramp", "four-five", "one-six", "big"],
)
def test_the_edge_cases_hold(values: list[int]) -> None:
    assert_protected(*with_total_row([[f"r{i}", v] for i, v in enumerate(values)], (1,)))
