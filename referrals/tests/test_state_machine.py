"""Hypothesis drives requests through every sequence of actions: none reaches an illegal state."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from accounts.models import Role
from common.errors import DomainError
from conftest import World
from referrals import services
from referrals.models import FAILED_OUTCOMES, CallbackOutcome, Channel, EventKind, Request
from referrals.states import FINAL, MOVES, OPEN, CloseReason, Status, allowed
from tests.factories import MembershipFactory, ProfessionalFactory, ResourceFactory

from .factories import make_request

START = datetime(2026, 3, 28, 22, 0, tzinfo=UTC)  # crosses the spring clock change


def test_every_status_has_its_moves_and_final_statuses_lead_nowhere() -> None:
    assert set(MOVES) == set(Status)
    assert all(not MOVES[status] for status in FINAL)
    assert OPEN.isdisjoint(FINAL)
    assert not allowed(Status.CLOSED, Status.IN_PROGRESS)
    assert allowed(Status.ORIENTED, Status.SEEN)


class RequestLife(RuleBasedStateMachine):
    world: World

    def __init__(self) -> None:
        super().__init__()
        self.now = START
        self.failed = 0
        self.events = 0

    @initialize(channel=st.sampled_from([Channel.PHONE, Channel.QR, Channel.WEB]))
    def receive(self, channel: str) -> None:
        self.users = [self.world.colleague, self.second]
        self.request = make_request(self.world.cell, channel=channel, now=self.now)
        self.events = self.request.events.count()

    def _tick(self, minutes: int) -> datetime:
        self.now += timedelta(minutes=minutes)
        return self.now

    def _attempt(self, action, **kwargs) -> None:
        before = Request.objects.get(pk=self.request.pk)
        try:
            action(request=self.request, **kwargs)
        except DomainError:
            after = Request.objects.get(pk=self.request.pk)
            assert (after.status, after.holder_id, after.failed_callbacks) == (
                before.status,
                before.holder_id,
                before.failed_callbacks,
            ), "a refused action changed the request"
        self.request.refresh_from_db()

    @rule(who=st.integers(0, 1), minutes=st.integers(0, 60))
    def take(self, who: int, minutes: int) -> None:
        self._attempt(services.request_take, user=self.users[who], now=self._tick(minutes))

    @rule(who=st.integers(0, 1))
    def release(self, who: int) -> None:
        self._attempt(services.request_release, user=self.users[who], now=self.now)

    @rule(who=st.integers(0, 1), outcome=st.sampled_from(CallbackOutcome.values), minutes=st.integers(0, 90))
    def call_back(self, who: int, outcome: str, minutes: int) -> None:
        before = self.request.callbacks.count()
        self._attempt(services.callback_log, user=self.users[who], outcome=outcome, now=self._tick(minutes))
        if self.request.callbacks.count() > before and outcome in FAILED_OUTCOMES:
            self.failed += 1

    @rule(who=st.integers(0, 1), reason=st.sampled_from(CloseReason.values))
    def close(self, who: int, reason: str) -> None:
        self._attempt(services.request_close, user=self.users[who], reason=reason, now=self._tick(1))

    @rule(who=st.integers(0, 1))
    def reorient(self, who: int) -> None:
        self._attempt(services.request_reorient, user=self.users[who], resource=self.resource, now=self._tick(1))

    @rule(who=st.integers(0, 1))
    def validate(self, who: int) -> None:
        self._attempt(services.request_validate, user=self.users[who], now=self._tick(1))

    @invariant()
    def status_is_known_and_follows_the_timeline(self) -> None:
        if not hasattr(self, "request"):
            return
        request = self.request
        assert request.status in Status.values
        moves = list(request.events.filter(kind=EventKind.MOVE).values_list("from_status", "to_status"))
        assert moves[-1][1] == request.status
        for source, target in moves[1:]:
            assert allowed(source, target), f"{source} → {target} is not an allowed move"
        times = list(request.events.values_list("at", flat=True))
        assert times == sorted(times), "the timeline goes back in time"

    @invariant()
    def finished_requests_are_held_by_nobody(self) -> None:
        if hasattr(self, "request") and self.request.status not in OPEN:
            assert self.request.holder_id is None

    @invariant()
    def every_failed_callback_is_counted_and_the_timeline_only_grows(self) -> None:
        if not hasattr(self, "request"):
            return
        assert self.request.failed_callbacks == self.failed
        count = self.request.events.count()
        assert count >= self.events
        self.events = count


@pytest.mark.django_db
def test_no_sequence_of_actions_reaches_an_illegal_state(world: World) -> None:
    second = MembershipFactory(cell=world.cell, role=Role.COORDINATOR).user
    resource = ResourceFactory(cell=world.cell)
    ProfessionalFactory(cell=world.cell, profession="pharmacist")  # the requester

    class Bound(RequestLife):
        pass

    Bound.world, Bound.second, Bound.resource = world, second, resource
    run_state_machine_as_test(
        Bound,
        settings=settings(
            max_examples=60,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
