"""Every write of the agenda: booking (race-free), publishing one-off slots, recurring plans and absences."""

from .booking import (
    ALREADY_BOOKED,
    BOOKING_NOT_ACTIVE,
    OUTCOME_TOO_EARLY,
    SLOT_CANCELLED,
    SLOT_JUST_TAKEN,
    SLOT_NOT_FOR_YOU,
    SLOT_OTHER_CELL,
    SLOT_PAST,
    SLOT_WRONG_CARE,
    booking_cancel,
    booking_outcome,
    slot_book,
    slot_label,
)
from .publishing import (
    SLOT_EXAM_REQUIRED,
    SLOT_IN_PAST,
    SLOT_LENGTH,
    SLOT_OF_OTHER_CELL,
    SLOT_ORDER,
    SLOT_OVERLAP,
    slots_publish,
)

__all__ = [
    "ALREADY_BOOKED",
    "BOOKING_NOT_ACTIVE",
    "OUTCOME_TOO_EARLY",
    "SLOT_CANCELLED",
    "SLOT_EXAM_REQUIRED",
    "SLOT_IN_PAST",
    "SLOT_JUST_TAKEN",
    "SLOT_LENGTH",
    "SLOT_NOT_FOR_YOU",
    "SLOT_OF_OTHER_CELL",
    "SLOT_ORDER",
    "SLOT_OTHER_CELL",
    "SLOT_OVERLAP",
    "SLOT_PAST",
    "SLOT_WRONG_CARE",
    "booking_cancel",
    "booking_outcome",
    "slot_book",
    "slot_label",
    "slots_publish",
]
