from datetime import datetime

from django import template

from referrals.deadlines import TimeLeft, time_left

register = template.Library()


@register.simple_tag
def clock(deadline_at: datetime, now: datetime) -> TimeLeft:
    """The time left before a request's deadline, with its colour level ('ok', 'amber', 'red')."""
    return time_left(deadline_at, now)
