"""Writes of the messages, one module per part: who is told what (`news`), the outbox that sends (`outbox`), the
patient who declines messages (`consent`), the cell's wording (`wording`). Everything is importable from here."""

from .consent import (
    NO_PATIENT_PHONE,
    patient_opt_out,
)
from .news import (
    TOLD,
    deadline_near,
    effector_told,
    mt_summary,
    patient_booked,
    patient_cancelled,
    patient_reoriented,
    reminders_queue,
    request_moved,
    requester_address,
    supervisor_asked,
)
from .outbox import (
    FIRST_RETRY,
    LONGEST_WAIT,
    MAX_ATTEMPTS,
    STUCK_AFTER,
    SendOutcome,
    email_about,
    message_about,
    message_id_header,
    message_queue,
    message_send,
    messages_recover,
    messages_send_queued,
)
from .wording import (
    template_reset,
    template_save,
)

__all__ = [
    "FIRST_RETRY",
    "LONGEST_WAIT",
    "MAX_ATTEMPTS",
    "NO_PATIENT_PHONE",
    "STUCK_AFTER",
    "TOLD",
    "SendOutcome",
    "deadline_near",
    "effector_told",
    "email_about",
    "message_about",
    "message_id_header",
    "message_queue",
    "message_send",
    "messages_recover",
    "messages_send_queued",
    "mt_summary",
    "patient_booked",
    "patient_cancelled",
    "patient_opt_out",
    "patient_reoriented",
    "reminders_queue",
    "request_moved",
    "requester_address",
    "supervisor_asked",
    "template_reset",
    "template_save",
]
