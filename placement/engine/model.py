"""What the engine reads and writes: plain, immutable records (the instance file's format, docs/placement.md)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

# The care channels and modalities of Aiguillage (referrals.models), repeated here: the engine imports no Django.
CHANNELS = frozenset({"gp", "imaging", "physiotherapy", "nursing", "biology"})
EXAM_TYPES = frozenset({"radiography", "ct", "ultrasound", "mri"})
MODALITIES = frozenset({"in_person", "assisted_teleconsultation", "medicobus", "home_visit"})
URGENCIES = frozenset({1, 2, 3})  # this week, within 48 h, within 24 h: the weight of meeting the deadline


@dataclass(frozen=True)
class Request:
    id: str
    lat: float
    lon: float
    deadline: datetime
    urgency: int
    channel: str
    modalities: frozenset[str]
    received_at: datetime
    exam_type: str = ""
    max_km: float | None = None


@dataclass(frozen=True)
class Slot:
    id: str
    lat: float
    lon: float
    start: datetime
    channel: str
    modality: str
    capacity: int
    tier: int = 0
    exam_type: str = ""


@dataclass(frozen=True)
class Instance:
    now: datetime
    requests: tuple[Request, ...]
    slots: tuple[Slot, ...]


@dataclass(frozen=True)
class Objective:
    """The plan's value, level by level: compared as a tuple (higher urgency and placed, then lower km and tier)."""

    urgency_in_deadline: int
    placed: int
    km: float
    tier: int

    def key(self) -> tuple[int, int, float, int]:
        """A key that sorts better plans first."""
        return (-self.urgency_in_deadline, -self.placed, round(self.km, 6), self.tier)


@dataclass(frozen=True)
class Plan:
    assignments: tuple[tuple[str, str], ...]  # (request id, slot id)
    objective: Objective
    seconds: float = 0.0
    strategy: str = field(default="")
