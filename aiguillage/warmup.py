"""What a worker of the app server does once, at its start, instead of in the first calls it answers (issue 23, 5b).

Profiled (cProfile) on the first POST /api/v1/requests of a fresh process: 2.8 s, against 30 ms for the next ones, and
nothing of it in the database. Two costs of the process, not of the call: the URLconf, imported on the first request
(every app's views, WeasyPrint among their imports), and the first public-holiday table, which the intake's answer
needs (is the cell open?): the `holidays` library imports its ~280 countries' modules on its first use. A worker that
had not yet paid them charged them to whoever called it first: each of the app server's workers, after each start.
Done here, they cost the worker's start. Nothing here reads the database (the worker may start before it is up).
"""

from __future__ import annotations

from datetime import timedelta

from django.template.loader import get_template
from django.urls import get_resolver
from django.utils import timezone

# The pages polled or opened most (templates compiled once per process, by the cached loader).
TEMPLATES = ("referrals/queue.html", "referrals/_queue_rows.html", "referrals/request_detail.html")


def warm_up() -> None:
    from common.holidays import public_holidays
    from common.phones import phone_e164

    get_resolver().url_patterns  # noqa: B018 (imports every app's URLs and views)
    today = timezone.localdate()
    public_holidays("", today, today + timedelta(days=366))  # this year's table and the next, metropolitan France
    phone_e164("06 12 34 56 78")  # the phone numbers' French metadata
    for name in TEMPLATES:
        get_template(name)
