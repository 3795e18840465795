"""Seeded instances that resemble a real territory, for the benchmarks and the tests.

A rural department (about 6,000 km², the Orne's size) with hundreds of distinct places (`places`: practices, assisted
teleconsultation spots, Médicobus stops, each at its own coordinates; distances are great-circle between them and the
patients): demand concentrated in a few towns and scattered in rural communes; slots over the next 7 days in
practices (mostly in towns, bigger there), in assisted
teleconsultation spots (rural, teleconsultants of the three tiers) and at Médicobus stops (rural, a few days a week);
nurses' home visits. Every figure below is an invented proportion, chosen to make the waiting list tight where it
matters: the next 24 hours and the remote communes. Requests were received over the last 36 hours, so some urgent
ones are already past their deadline, as in a real queue on a Monday morning: they count as placed, not in time.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from referrals.deadlines import URGENCY_HOURS  # plain Python, as the engine

from .model import Instance, Request, Slot

DEFAULT_NOW = datetime(2026, 12, 7, 7, 0, tzinfo=UTC)  # a Monday, 8:00 in Paris
_CENTRE = (48.58, 0.05)
_KM_PER_DEGREE_LAT = 111.2

_CHANNELS = (("gp", 0.70), ("nursing", 0.10), ("physiotherapy", 0.07), ("biology", 0.05), ("imaging", 0.08))
_EXAM_TYPES = ("radiography", "ct", "ultrasound", "mri")


def _pick(rng: random.Random, weighted: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([value for value, _ in weighted], [weight for _, weight in weighted])[0]


_DEPARTMENT_HALF_SIDE_KM = 40  # about 80 km across: a rural department of 6,000 km², the Orne's size


def default_places(slots: int) -> int:
    """A department's distinct places for that many slots a week: about 25 slots a place, 3 to 1,000 places."""
    return max(3, min(1000, round(slots / 25)))


class _Territory:
    """Towns (one big, a few small) and villages over the department: the points patients and places are near."""

    def __init__(self, rng: random.Random, places: int) -> None:
        self.rng = rng
        self.half_lat = _DEPARTMENT_HALF_SIDE_KM / _KM_PER_DEGREE_LAT
        self.half_lon = _DEPARTMENT_HALF_SIDE_KM / (_KM_PER_DEGREE_LAT * math.cos(math.radians(_CENTRE[0])))
        self.towns = [self.anywhere() for _ in range(max(3, min(12, places // 40)))]
        self.town_weights = [1 / (rank + 1) for rank in range(len(self.towns))]  # one big town, smaller ones
        self.communes = [self.anywhere() for _ in range(max(20, min(500, places)))]

    def anywhere(self) -> tuple[float, float]:
        return (
            _CENTRE[0] + self.rng.uniform(-self.half_lat, self.half_lat),
            _CENTRE[1] + self.rng.uniform(-self.half_lon, self.half_lon),
        )

    def near(self, point: tuple[float, float], km: float) -> tuple[float, float]:
        lat = point[0] + self.rng.gauss(0, km / _KM_PER_DEGREE_LAT)
        lon = point[1] + self.rng.gauss(0, km / (_KM_PER_DEGREE_LAT * math.cos(math.radians(point[0]))))
        return (round(lat, 5), round(lon, 5))

    def town(self) -> tuple[float, float]:
        return self.rng.choices(self.towns, self.town_weights)[0]

    def commune(self) -> tuple[float, float]:
        return self.rng.choice(self.communes)

    def patient(self) -> tuple[float, float]:
        return self.near(self.town(), 2.0) if self.rng.random() < 0.6 else self.near(self.commune(), 0.8)

    def distinct(
        self, count: int, draw: Callable[[], tuple[float, float]], taken: set[tuple[float, float]]
    ) -> list[tuple[float, float]]:
        """`count` points none of which is already taken (two practices never share coordinates)."""
        points: list[tuple[float, float]] = []
        while len(points) < count:
            point = draw()
            if point not in taken:
                taken.add(point)
                points.append(point)
        return points


def _slot_start(rng: random.Random, now: datetime, days: list[int]) -> datetime:
    day = rng.choice(days)
    minutes = rng.randrange(1, 11 * 4 + 1) * 15  # 8:15 to 19:00 in Paris: none starts at `now` (8:00), unusable
    return now + timedelta(days=day, minutes=minutes)


def _shares(total: int, weights: list[float]) -> list[int]:
    """`total` split in proportion to the weights (largest remainders), at least 1 each when total allows."""
    if not weights:
        return []
    floor = 1 if total >= len(weights) else 0
    rest = total - floor * len(weights)
    exact = [rest * weight / sum(weights) for weight in weights]
    counts = [floor + int(share) for share in exact]
    by_remainder = sorted(range(len(weights)), key=lambda i: int(exact[i]) - exact[i])
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return counts


def territory_instance(
    requests: int,
    slots: int,
    *,
    places: int | None = None,
    seed: int = 1,
    now: datetime = DEFAULT_NOW,
) -> Instance:
    """`requests` open requests and `slots` free slots over 7 days at `places` distinct places (practices, assisted
    teleconsultation spots, Médicobus stops; `default_places(slots)` when not given), reproducibly for a seed."""
    rng = random.Random(seed)
    places = max(1, min(places if places is not None else default_places(slots), max(slots, 1)))
    territory = _Territory(rng, places)
    week = list(range(7))
    weekdays = [day for day in week if (now + timedelta(days=day)).weekday() < 5]
    made: list[Slot] = []

    def add(
        count: int,
        point: tuple[float, float],
        channel: str,
        modality: str,
        days: list[int],
        *,
        capacity: int = 1,
        tier: int = 0,
        exam_type: str = "",
    ) -> None:
        for _ in range(count):
            start = _slot_start(rng, now, days)
            made.append(
                Slot(
                    id=f"s{len(made) + 1}",
                    lat=point[0],
                    lon=point[1],
                    start=start,
                    channel=channel,
                    modality=modality,
                    capacity=capacity,
                    tier=tier,
                    exam_type=exam_type,
                )
            )

    # The places: three in four practices (two in three in a town, near its centre), then rural assisted
    # teleconsultation spots and Médicobus stops; a place's share of the slots grows with its size.
    spots = max(1, round(places * 0.1)) if places >= 3 else 0
    stops = max(1, round(places * 0.15)) if places >= 3 else 0
    practices = places - spots - stops
    taken: set[tuple[float, float]] = set()
    in_town = [rng.random() < 0.65 for _ in range(practices)]

    def town_place() -> tuple[float, float]:
        return territory.near(territory.town(), 3.0)

    def village_place() -> tuple[float, float]:
        return territory.near(territory.commune(), 0.3)

    practice_points = [territory.distinct(1, town_place if town else village_place, taken)[0] for town in in_town]
    spot_points = territory.distinct(spots, village_place, taken)
    stop_points = territory.distinct(stops, village_place, taken)
    practice_slots = round(slots * 0.8) if spots + stops else slots
    spot_slots = round(slots * 0.1) if spots else 0
    stop_slots = slots - practice_slots - spot_slots
    sizes = [rng.uniform(1.5, 3.0) if town else rng.uniform(0.5, 1.5) for town in in_town]
    for point, count in zip(practice_points, _shares(practice_slots, sizes), strict=True):
        channel = _pick(rng, _CHANNELS)
        if channel == "imaging":
            first, second = rng.sample(_EXAM_TYPES, 2)
            add(count - count // 2, point, channel, "in_person", weekdays, exam_type=first)
            add(count // 2, point, channel, "in_person", weekdays, exam_type=second)
        elif channel == "nursing":
            add(count - count // 2, point, channel, "in_person", weekdays, capacity=2)
            add(count // 2, point, channel, "home_visit", week)
        else:
            add(count, point, channel, "in_person", weekdays)
    # Assisted teleconsultation spots: teleconsultants of the three tiers.
    for point, count in zip(spot_points, _shares(spot_slots, [1.0] * spots), strict=True):
        for _ in range(count):
            add(1, point, "gp", "assisted_teleconsultation", weekdays, tier=rng.choices((0, 1, 2), (5, 3, 2))[0])
    # Médicobus stops: two days a week each.
    for point, count in zip(stop_points, _shares(stop_slots, [1.0] * stops), strict=True):
        add(count, point, "gp", "medicobus", rng.sample(weekdays, min(2, len(weekdays))))

    made_requests: list[Request] = []
    for number in range(requests):
        urgency = rng.choices((3, 2, 1), (25, 45, 30))[0]
        received = now - timedelta(minutes=rng.randrange(0, 36 * 60))
        deadline = received + timedelta(hours=URGENCY_HOURS[{3: "24h", 2: "48h", 1: "week"}[urgency]])
        channel = _pick(rng, _CHANNELS)
        modalities = {"in_person"}
        if channel == "gp":
            if rng.random() < 0.5:
                modalities.add("medicobus")
            if rng.random() < 0.4:
                modalities.add("assisted_teleconsultation")
        elif channel == "nursing":
            modalities.add("home_visit")
        point = territory.patient()
        made_requests.append(
            Request(
                id=f"r{number + 1}",
                lat=point[0],
                lon=point[1],
                deadline=deadline,
                urgency=urgency,
                channel=channel,
                modalities=frozenset(modalities),
                received_at=received,
                exam_type=rng.choice(_EXAM_TYPES) if channel == "imaging" else "",
                max_km=rng.choice((10.0, 20.0, 30.0, 50.0)) if rng.random() < 0.3 else None,
            )
        )
    return Instance(now=now, requests=tuple(made_requests), slots=tuple(made))
