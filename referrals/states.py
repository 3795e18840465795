"""The life of a request: its statuses, the one table of allowed moves, and the function that checks a move.

Plain Python (no database): the services call `check_move` before changing a request, and the Hypothesis state
machine test drives it with every sequence of actions.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    TO_VALIDATE = "to_validate", _("To validate")
    RECEIVED = "received", _("Received")
    IN_PROGRESS = "in_progress", _("In progress")
    WAITING_SUPERVISOR = "waiting_supervisor", _("Waiting for the supervisor")
    ORIENTED = "oriented", _("Oriented")
    REORIENTED = "reoriented", _("Reoriented")
    CLOSED = "closed", _("Closed")
    SEEN = "seen", _("Seen")
    NO_SHOW = "no_show", _("No-show")
    APPOINTMENT_CANCELLED = "appointment_cancelled", _("Appointment cancelled")


class CloseReason(models.TextChoices):
    UNREACHABLE = "unreachable", _("Patient unreachable")
    CANCELLED_BY_REQUESTER = "cancelled_by_requester", _("Cancelled by the requester")
    REFUSED_BY_PATIENT = "refused_by_patient", _("Refused by the patient")
    SENT_TO_15 = "sent_to_15", _("Sent to the 15 (vital emergency)")
    RESOLVED_OTHERWISE = "resolved_otherwise", _("Resolved otherwise")
    NOT_ELIGIBLE = "not_eligible", _("Not eligible (outside the territory or the protocol)")
    DUPLICATE = "duplicate", _("Duplicate of another request")


class ReorientationReason(models.TextChoices):
    NO_SLOT_IN_TIME = "no_slot_in_time", _("No slot within the deadline")
    OTHER_CARE_FITS = "other_care_fits", _("Another kind of care fits better")
    PHARMACY_ADVICE = "pharmacy_advice", _("Pharmacist's advice is enough")
    NURSING = "nursing", _("Nursing care")
    OUTSIDE_TERRITORY = "outside_territory", _("Outside the territory")
    OUT_OF_HOURS = "out_of_hours", _("Out of hours: on-call service")
    HOSPITAL = "hospital", _("Needs a hospital")
    SOCIAL = "social", _("Social or medico-social need")
    PATIENT_CHOICE = "patient_choice", _("The patient's choice")
    OTHER = "other", _("Other reason")


# Allowed moves: from a status to the statuses it may go to. Anything else is refused.
MOVES: dict[Status, frozenset[Status]] = {
    Status.TO_VALIDATE: frozenset({Status.RECEIVED, Status.CLOSED}),
    Status.RECEIVED: frozenset(
        {Status.IN_PROGRESS, Status.WAITING_SUPERVISOR, Status.ORIENTED, Status.REORIENTED, Status.CLOSED}
    ),
    Status.IN_PROGRESS: frozenset({Status.WAITING_SUPERVISOR, Status.ORIENTED, Status.REORIENTED, Status.CLOSED}),
    Status.WAITING_SUPERVISOR: frozenset({Status.IN_PROGRESS, Status.ORIENTED, Status.REORIENTED, Status.CLOSED}),
    Status.ORIENTED: frozenset({Status.SEEN, Status.NO_SHOW, Status.APPOINTMENT_CANCELLED}),
    Status.APPOINTMENT_CANCELLED: frozenset({Status.IN_PROGRESS, Status.ORIENTED, Status.REORIENTED, Status.CLOSED}),
    Status.REORIENTED: frozenset(),
    Status.CLOSED: frozenset(),
    Status.SEEN: frozenset(),
    Status.NO_SHOW: frozenset(),
}

# Requests the cell still has to handle: they are in the queue, and their 48 h clock runs.
OPEN = frozenset(
    {Status.TO_VALIDATE, Status.RECEIVED, Status.IN_PROGRESS, Status.WAITING_SUPERVISOR, Status.APPOINTMENT_CANCELLED}
)
FINAL = frozenset(status for status, targets in MOVES.items() if not targets)
# Waiting for a slot: the statuses from which the table lets a request be oriented (booked). The booking services,
# the alert cascade, the freed-slot proposals and the placement assistant all read this one set.
ORIENTABLE = frozenset(status for status, targets in MOVES.items() if Status.ORIENTED in targets)

ILLEGAL_MOVE = _("A request that is “%(current)s” cannot become “%(target)s”.")


class IllegalMove(Exception):
    def __init__(self, current: Status, target: Status) -> None:
        self.current, self.target = current, target
        self.message = ILLEGAL_MOVE % {"current": current.label, "target": target.label}
        super().__init__(str(self.message))


def allowed(current: str, target: str) -> bool:
    return Status(target) in MOVES[Status(current)]


def check_move(current: str, target: str) -> None:
    """Raise `IllegalMove` unless the table allows going from `current` to `target`."""
    if not allowed(current, target):
        raise IllegalMove(Status(current), Status(target))
