"""What the other apps follow of a request without the referrals app knowing them (decision 0016).

Each signal is sent inside the transaction that made the change, after the request is saved: a receiver writes in
that transaction (a message in the outbox, a cascade stopped, a survey queued), so the change and what follows from
it are committed together, or neither. A receiver that reaches outside Aiguillage defers it to the commit, as the
outbox does. A receiver that raises undoes the change, unless it guards itself (the surveys do)."""

from django.dispatch import Signal

# A request moved (its status changed) or its appointment moved: sent with `request` and `event`, the RequestEvent
# that says it, and `booking`, the agenda's appointment concerned when the agenda made the change (else None): a
# series of sessions has several, so the followers are told which one. Followed by notifications (requester,
# patient, effector), alerts (a cascade stops when the request leaves the states it can be oriented from) and surveys
# (a handled request may be sampled).
request_moved = Signal()

# A coordinator asked the supervising doctor: sent with `request`, `question_pk`, `at` and `supervisors` (the
# memberships to tell: the one on duty, else every supervisor of the cell). Followed by notifications.
supervisor_asked = Signal()

# A request still waits as its deadline nears: sent with `request`, `at`, `coordinators` and `supervisors` (the
# memberships to warn). Followed by notifications.
deadline_near = Signal()
