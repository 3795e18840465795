from __future__ import annotations

from typing import Any

from agenda.models import Booking

from .services.appointments import appointment_push_mark


def booking_changed_to_sas(sender: Any, booking: Booking, change: str, **kwargs: Any) -> None:
    appointment_push_mark(booking=booking, change=change)
