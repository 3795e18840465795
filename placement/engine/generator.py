"""Seeded instances that resemble a real territory, for the benchmarks and the tests.

A rural department (about 6,000 km², the Orne's size, scaled with the number of slots): demand concentrated in a few
towns and scattered in rural communes; slots over the next 7 days in practices (mostly in towns), in assisted
teleconsultation spots (rural, teleconsultants of the three tiers) and at Médicobus stops (rural, a few days a week);
nurses' home visits. Every figure below is an invented proportion, chosen to make the waiting list tight where it
matters: the next 24 hours and the remote communes. Requests were received over the last 36 hours, so some urgent
ones are already past their deadline, as in a real queue on a Monday morning: they count as placed, not in time.
"""

from __future__ import annotations

import math
import random
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


class _Territory:
    def __init__(self, rng: random.Random, scale: float) -> None:
        self.rng = rng
        half_side_km = 40 * math.sqrt(scale)  # about 80 km across for a department
        self.half_lat = half_side_km / _KM_PER_DEGREE_LAT
        self.half_lon = half_side_km / (_KM_PER_DEGREE_LAT * math.cos(math.radians(_CENTRE[0])))
        self.towns = [self.anywhere() for _ in range(max(3, round(5 * scale)))]
        self.town_weights = [1 / (rank + 1) for rank in range(len(self.towns))]  # one big town, smaller ones
        self.communes = [self.anywhere() for _ in range(max(20, round(400 * scale)))]

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


def _slot_start(rng: random.Random, now: datetime, days: list[int]) -> datetime:
    day = rng.choice(days)
    minutes = rng.randrange(1, 11 * 4 + 1) * 15  # 8:15 to 19:00 in Paris: none starts at `now` (8:00), unusable
    return now + timedelta(days=day, minutes=minutes)


def territory_instance(requests: int, slots: int, *, seed: int = 1, now: datetime = DEFAULT_NOW) -> Instance:
    """`requests` open requests and `slots` free slots over 7 days, reproducibly for a given seed."""
    rng = random.Random(seed)
    territory = _Territory(rng, max(slots, 1) / 10_000)
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

    practice_slots = round(slots * 0.8)
    spot_slots = round(slots * 0.1)
    stop_slots = slots - practice_slots - spot_slots
    # Practices: about 40 slots a week each, two in three in a town.
    practices = max(1, practice_slots // 40)
    for number in range(practices):
        point = territory.near(territory.town(), 3.0) if rng.random() < 0.65 else territory.commune()
        channel = _pick(rng, _CHANNELS)
        count = practice_slots // practices + (1 if number < practice_slots % practices else 0)
        if channel == "imaging":
            for exam_type in rng.sample(_EXAM_TYPES, 2):
                add(count // 2, point, channel, "in_person", weekdays, exam_type=exam_type)
            add(count % 2, point, channel, "in_person", weekdays, exam_type=_EXAM_TYPES[0])
        elif channel == "nursing":
            add(count // 2, point, channel, "home_visit", week)
            add(count - count // 2, point, channel, "in_person", weekdays, capacity=2)
        else:
            add(count, point, channel, "in_person", weekdays)
    # Assisted teleconsultation spots: rural, teleconsultants of the three tiers.
    spots = max(1, slots // 1000)
    for number in range(spots):
        point = territory.commune()
        count = spot_slots // spots + (1 if number < spot_slots % spots else 0)
        for _ in range(count):
            add(1, point, "gp", "assisted_teleconsultation", weekdays, tier=rng.choices((0, 1, 2), (5, 3, 2))[0])
    # Médicobus stops: rural, two days a week each.
    stops = max(1, slots // 700)
    for number in range(stops):
        point = territory.commune()
        count = stop_slots // stops + (1 if number < stop_slots % stops else 0)
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
