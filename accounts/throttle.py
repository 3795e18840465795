"""Failed logins: a growing pause, never a permanent lock, never one an attacker elsewhere can impose on a real user.

Two counters per failure: one for (username, address), one for the address alone (password spraying across many
usernames). A counter past its limit pauses that pair (or address) for 1 minute, then 2, 4… up to
AIGUILLAGE_LOGIN_MAX_PAUSE_MINUTES; a success clears the pair's counter; a quiet day forgets everything. The user
from their own address is never stopped by someone guessing from another one. Keys are hashes: no username or
address is kept in clear.
"""

from __future__ import annotations

import hashlib
import ipaddress
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .models import LoginThrottle

FORGET_AFTER = timedelta(hours=24)
ADDRESS_FACTOR = 5


def _key(*parts: str) -> str:
    return hashlib.sha256(("\x1f".join(parts) + settings.SECRET_KEY).encode()).hexdigest()


def _who(username: str) -> str:
    """The username as authentication sees it (Django normalises it with NFKC): 'ａｌｉｃｅ' counts as 'alice'."""
    return unicodedata.normalize("NFKC", username).strip().casefold()


def _where(address: str) -> str:
    """An IPv6 visitor holds a whole /64: its addresses count as one."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if parsed.version == 6:
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


def _keys(username: str, address: str) -> list[tuple[str, int]]:
    limit = int(settings.AIGUILLAGE_LOGIN_FAILURES)
    address = _where(address)
    return [
        (_key("pair", _who(username), address), limit),
        (_key("address", address), limit * ADDRESS_FACTOR),
    ]


@dataclass(frozen=True)
class Pause:
    until: datetime

    @property
    def minutes(self) -> int:
        return max(1, -(-int((self.until - timezone.now()).total_seconds()) // 60))


def paused(username: str, address: str, *, now: datetime | None = None) -> Pause | None:
    """A pause still running for this username from this address (or for the address), else None."""
    now = now or timezone.now()
    keys = [key for key, _limit in _keys(username, address)]
    until = (
        LoginThrottle.objects.filter(key__in=keys, locked_until__gt=now)
        .order_by("-locked_until")
        .values_list("locked_until", flat=True)
        .first()
    )
    return Pause(until) if until else None


def _pause_for(failures: int, limit: int) -> timedelta | None:
    if failures < limit:
        return None
    minutes = min(2 ** min(failures - limit, 16), int(settings.AIGUILLAGE_LOGIN_MAX_PAUSE_MINUTES))
    return timedelta(minutes=minutes)


@transaction.atomic
def failure_record(username: str, address: str, *, now: datetime | None = None) -> Pause | None:
    return _count(_keys(username, address), now=now or timezone.now())


def _count(keys: list[tuple[str, int]], *, now: datetime) -> Pause | None:
    """One more event on each counter; a counter at its limit or past it pauses for 1, 2, 4… minutes."""
    forget_old(now=now)  # failures are rare: tidying here keeps the table small without a job of its own
    longest: datetime | None = None
    for key, limit in keys:
        row, created = LoginThrottle.objects.select_for_update().get_or_create(
            key=key, defaults={"failures": 1, "last_failure_at": now}
        )
        if not created:
            if now - row.last_failure_at > FORGET_AFTER:
                row.failures = 0
            row.failures = F("failures") + 1 if row.failures else 1
            row.last_failure_at = now
            row.save(update_fields=["failures", "last_failure_at"])
            row.refresh_from_db(fields=["failures"])
        pause = _pause_for(row.failures, limit)
        if pause is not None:
            row.locked_until = now + pause
            row.save(update_fields=["locked_until"])
            longest = max(longest or row.locked_until, row.locked_until)
    return Pause(longest) if longest else None


# Password resets asked: per e-mail address (from anywhere: no mailbox is flooded) and per visitor's address.
RESET_PER_EMAIL = 3
RESET_PER_ADDRESS = 20


def _reset_keys(email: str, address: str) -> list[tuple[str, int]]:
    return [
        (_key("reset-email", _who(email)), RESET_PER_EMAIL),
        (_key("reset-address", _where(address)), RESET_PER_ADDRESS),
    ]


def reset_paused(email: str, address: str, *, now: datetime | None = None) -> Pause | None:
    """A pause running on resets for this e-mail address or from this visitor's address, else None."""
    now = now or timezone.now()
    keys = [key for key, _limit in _reset_keys(email, address)]
    until = (
        LoginThrottle.objects.filter(key__in=keys, locked_until__gt=now)
        .order_by("-locked_until")
        .values_list("locked_until", flat=True)
        .first()
    )
    return Pause(until) if until else None


@transaction.atomic
def reset_request_record(email: str, address: str, *, now: datetime | None = None) -> Pause | None:
    """A password reset was asked (whether the address is known or not: the count reveals nothing). Past 3 for one
    e-mail or 20 from one visitor's address in a day, the next ones wait, 1 minute then twice as long each time."""
    return _count(_reset_keys(email, address), now=now or timezone.now())


def success_record(username: str, address: str) -> None:
    pair_key = _keys(username, address)[0][0]
    LoginThrottle.objects.filter(key=pair_key).delete()


def forget_old(*, now: datetime | None = None) -> int:
    deleted, _ = LoginThrottle.objects.filter(last_failure_at__lt=(now or timezone.now()) - FORGET_AFTER).delete()
    return deleted
