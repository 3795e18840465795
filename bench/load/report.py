"""The load test's arithmetic, with no Django and no Locust: the regional target, the table of a step, the choice of
the best step, and the lost-write check. Tested in bench/load/tests/ without running any load."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

# A step passes when its 95th percentile of every kind of call together stays under this, with no error.
P95_LIMIT_MS = 200.0


@dataclass(frozen=True)
class Target:
    """A region's peak hour (issue 23): `cells` cells of `requests_per_day` requests on a peak day `peak_factor` times
    an ordinary one, `peak_share` of the day's requests in its busiest hour, each request costing `calls_per_request`
    HTTP calls (intake, the coordinator's pages and buttons, the slot finder, the booking, the requester's follow-up);
    beside them `coordinators_per_cell` coordinators per cell whose queue page polls every `poll_seconds`, and the SAS
    platform's FHIR slot searches, `sas_searches_per_second` over the region."""

    cells: int = 30
    requests_per_day: float = 110
    peak_factor: float = 10
    peak_share: float = 0.15
    calls_per_request: int = 13
    coordinators_per_cell: int = 3
    poll_seconds: float = 30
    sas_searches_per_second: float = 5

    @property
    def requests_per_second(self) -> float:
        return self.cells * self.requests_per_day * self.peak_factor * self.peak_share / 3600

    @property
    def polls_per_second(self) -> float:
        return self.cells * self.coordinators_per_cell / self.poll_seconds

    @property
    def calls_per_second(self) -> float:
        return self.requests_per_second * self.calls_per_request + self.polls_per_second + self.sas_searches_per_second

    def explain(self) -> str:
        journeys = self.requests_per_second * self.calls_per_request
        return (
            f"{self.cells} cells × {self.requests_per_day:g} requests a day × {self.peak_factor:g} (peak day) × "
            f"{self.peak_share:.0%} in the peak hour / 3600 s = {self.requests_per_second:.3f} requests/s × "
            f"{self.calls_per_request} calls = {journeys:.1f} calls/s\n"
            f"+ {self.cells * self.coordinators_per_cell} coordinators polling the queue every {self.poll_seconds:g} s "
            f"= {self.polls_per_second:.1f} calls/s\n"
            f"+ the SAS platform's slot searches = {self.sas_searches_per_second:.1f} calls/s\n"
            f"= regional target {self.calls_per_second:.1f} calls/s"
        )


@dataclass(frozen=True)
class Mix:
    """How many Locust users of each kind give `fraction` of the target, each at a fixed pace (seconds between the
    starts of two iterations): a journey user handles one request per iteration, a poller polls once, a SAS user
    searches once."""

    fraction: float
    journey_users: int
    journey_pacing: float
    poll_users: int
    poll_pacing: float
    sas_users: int
    sas_pacing: float

    @property
    def users(self) -> int:
        return self.journey_users + self.poll_users + self.sas_users

    def calls_per_second(self, calls_per_request: int) -> float:
        """The rate this mix asks for, as long as every iteration fits in its pacing."""
        return (
            self.journey_users / self.journey_pacing * calls_per_request
            + self.poll_users / self.poll_pacing
            + self.sas_users / self.sas_pacing
        )


def mix_for(target: Target, fraction: float, *, journey_pacing: float = 20.0, sas_pacing: float = 5.0) -> Mix:
    """Users for `fraction` of the target: whole users, the pacing stretched so that the rate is exact (a journey of
    13 calls takes a few seconds; 20 s of pacing leaves room for it to slow down under load)."""
    journeys = target.requests_per_second * fraction
    journey_users = max(1, math.ceil(journeys * journey_pacing))
    poll_users = max(1, round(target.cells * target.coordinators_per_cell * fraction))
    searches = target.sas_searches_per_second * fraction
    sas_users = max(1, math.ceil(searches * sas_pacing)) if searches > 0 else 0
    return Mix(
        fraction=fraction,
        journey_users=journey_users,
        journey_pacing=journey_users / journeys,
        poll_users=poll_users,
        poll_pacing=poll_users / (target.polls_per_second * fraction),
        sas_users=sas_users,
        sas_pacing=sas_users / searches if sas_users else sas_pacing,
    )


@dataclass(frozen=True)
class CallStats:
    """One kind of call (Locust's name) over a step."""

    name: str
    count: int
    failures: int
    p50: float
    p95: float
    p99: float


@dataclass
class Step:
    fraction: float
    asked: float  # calls/s the mix asked for
    seconds: float
    calls: list[CallStats]
    total: CallStats
    cpu: dict[str, float] = field(default_factory=dict)  # percent of one core, per part
    measured_rate: float | None = None  # Locust's calls/s, from its first call to its last

    @property
    def rate(self) -> float:
        if self.measured_rate is not None:
            return self.measured_rate
        return self.total.count / self.seconds if self.seconds else 0.0

    @property
    def passed(self) -> bool:
        return self.total.failures == 0 and self.total.count > 0 and self.total.p95 < P95_LIMIT_MS

    @property
    def slowest(self) -> CallStats | None:
        return max(self.calls, key=lambda c: (c.p95, c.count), default=None)


def best_step(steps: list[Step]) -> Step | None:
    """The passing step with the highest rate reached."""
    return max((s for s in steps if s.passed), key=lambda s: s.rate, default=None)


def _ms(value: float) -> str:
    return f"{value:.0f}" if value >= 10 else f"{value:.1f}"


def format_table(step: Step) -> str:
    """Per kind of call: count, p50 / p95 / p99 in ms, errors; then the total and the rate."""
    width = max([len(c.name) for c in step.calls] + [len("kind of call")])
    head = f"{'kind of call':<{width}}  {'count':>6}  {'p50':>6}  {'p95':>6}  {'p99':>6}  {'errors':>6}"
    lines = [head, "-" * len(head)]
    for c in sorted(step.calls, key=lambda c: c.name):
        lines.append(
            f"{c.name:<{width}}  {c.count:>6}  {_ms(c.p50):>6}  {_ms(c.p95):>6}  {_ms(c.p99):>6}  {c.failures:>6}"
        )
    t = step.total
    lines.append("-" * len(head))
    lines.append(f"{'all':<{width}}  {t.count:>6}  {_ms(t.p50):>6}  {_ms(t.p95):>6}  {_ms(t.p99):>6}  {t.failures:>6}")
    spent = t.count / step.rate if step.rate else step.seconds  # Locust's: until the last journey ended
    lines.append(
        f"{step.rate:.1f} calls/s over {spent:.0f} s (asked {step.asked:.1f}); "
        + ("passed" if step.passed else f"failed (p95 < {P95_LIMIT_MS:.0f} ms and 0 errors needed)")
    )
    if step.cpu:
        lines.append("CPU (% of one core): " + ", ".join(f"{part} {value:.0f}" for part, value in step.cpu.items()))
    return "\n".join(lines)


@dataclass(frozen=True)
class WriteCheck:
    """What the load client counted as done against what the database holds afterwards."""

    intakes_answered: int  # 201 from the API, the form's redirect to the new request's page
    requests_created: int  # new rows in the requests' table
    missing_requests: int  # ids the client was given that the table does not hold
    bookings_answered: int  # a booking confirmed on the page after the button
    bookings_created: int  # new active booking rows
    booked_increment: int  # the increase of the sum of slots' `booked`

    @property
    def holds(self) -> bool:
        return (
            self.intakes_answered == self.requests_created
            and self.missing_requests == 0
            and self.bookings_answered == self.bookings_created == self.booked_increment
        )

    def lines(self) -> list[str]:
        return [
            f"requests: {self.intakes_answered} intakes answered as created, {self.requests_created} new rows, "
            f"{self.missing_requests} answered ids missing",
            f"bookings: {self.bookings_answered} confirmed, {self.bookings_created} new active bookings, "
            f"slots' booked +{self.booked_increment}",
            "no write lost" if self.holds else "WRITES LOST OR UNACCOUNTED FOR",
        ]


def write_check(
    *,
    answered_ids: list[int],
    created_ids: list[int],
    bookings_answered: int,
    bookings_created: int,
    booked_increment: int,
) -> WriteCheck:
    """`answered_ids`: the requests the client was told were created (an id answered twice is a write counted
    twice); `created_ids`: the rows that appeared in the database during the run."""
    return WriteCheck(
        intakes_answered=len(answered_ids),
        requests_created=len(created_ids),
        missing_requests=len(set(answered_ids) - set(created_ids)),
        bookings_answered=bookings_answered,
        bookings_created=bookings_created,
        booked_increment=booked_increment,
    )
