"""The 48 h clock: deadlines in real elapsed time (UTC), shown in Europe/Paris. Plain Python."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import ClassVar

# The one home of the deadlines' hours, keyed by the urgency's value (referrals.models.Urgency): the queue's clocks,
# the indicators and the placement engine's generator read them here. "This week" keeps the 48 h of unscheduled care:
# the cell still answers within 48 h, whatever the requester thought.
URGENCY_HOURS = {"24h": 24, "48h": 48, "week": 48}
SNP_HOURS = 48  # unscheduled care: seen within 48 hours (the indicators' "seen within 48 h")
AMBER_BELOW = timedelta(hours=12)
RED_BELOW = timedelta(hours=4)


def deadline_for(received_at: datetime, urgency: str) -> datetime:
    """48 hours after reception (24 for a request the requester sees as urgent within 24 h).

    Hours of real time: across a clock change the wall-clock deadline moves by an hour, the patient's wait doesn't.
    """
    if received_at.tzinfo is None:
        raise ValueError("received_at must be an aware datetime")
    # Python adds a timedelta to a zoned datetime in wall-clock time: go through UTC to add real hours.
    return received_at.astimezone(UTC) + timedelta(hours=URGENCY_HOURS[urgency])


@dataclass(frozen=True)
class TimeLeft:
    seconds: int
    level: str  # "ok", "amber", "red"

    # The levels' thresholds in seconds, for the clocks that tick in the browser (static/js/clock.js).
    AMBER_SECONDS: ClassVar[int] = int(AMBER_BELOW.total_seconds())
    RED_SECONDS: ClassVar[int] = int(RED_BELOW.total_seconds())

    @property
    def overdue(self) -> bool:
        return self.seconds < 0

    def short(self) -> str:
        """'5 h 07' or '42 min' (how long before the deadline, or since it passed: see `overdue`)."""
        minutes = abs(self.seconds) // 60
        hours, minutes = divmod(minutes, 60)
        if hours:
            return f"{hours} h {minutes:02d}"
        return f"{minutes} min"


def time_left(deadline_at: datetime, now: datetime) -> TimeLeft:
    left = deadline_at.astimezone(UTC) - now.astimezone(UTC)
    level = "red" if left < RED_BELOW else "amber" if left < AMBER_BELOW else "ok"
    return TimeLeft(int(left.total_seconds()), level)
