"""The cells' clock: times are stored in UTC and shown, counted in days and cut into periods in Paris time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")


@dataclass(frozen=True)
class Period:
    """Whole days in Paris time, `first` to `last` included (the indicators', the surveys' and the reports')."""

    first: date
    last: date  # included

    @property
    def starts(self) -> datetime:
        return datetime.combine(self.first, time(0), tzinfo=PARIS)

    @property
    def ends(self) -> datetime:
        return datetime.combine(self.last + timedelta(days=1), time(0), tzinfo=PARIS)

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def previous(self) -> Period:
        """The period of the same length just before, for comparisons."""
        return Period(self.first - timedelta(days=self.days), self.first - timedelta(days=1))
