"""What other parts of Aiguillage may follow without the agenda knowing them (the SAS platform's copy of
appointments, in `interop`). Sent inside the booking's transaction: a receiver writes in it, or nothing at all."""

from django.dispatch import Signal

# Sent with `booking` (booked, moved, cancelled, or its outcome recorded) and `change` ("booked", "moved",
# "cancelled", "outcome").
booking_changed = Signal()
