"""The referrals app tells the apps above it through its signals, inside the transaction of the change
(decision 0016): what a receiver writes is committed with the move, and a receiver that fails undoes it."""

from typing import Any

import pytest
from django.db import connection

from conftest import World
from notifications.models import Message
from referrals import services
from referrals.models import Request
from referrals.signals import request_moved
from referrals.states import Status
from tests.factories import ProfessionalFactory, ResourceFactory

from .factories import make_request

pytestmark = pytest.mark.django_db


class Refused(Exception):
    pass


def test_a_move_is_sent_once_with_its_event_inside_the_transaction(world: World) -> None:
    request = make_request(world.cell, requester_professional=ProfessionalFactory(cell=world.cell))
    heard: list[tuple[str, str, bool]] = []

    def follow(sender: Any, request: Request, event: Any, **kwargs: Any) -> None:
        saved = Request.objects.get(pk=request.pk).status  # the request is saved before the signal is sent
        heard.append((event.to_status, saved, connection.in_atomic_block))

    request_moved.connect(follow, dispatch_uid="test_follow")
    try:
        services.request_close(request=request, user=world.colleague, reason="refused_by_patient")
    finally:
        request_moved.disconnect(dispatch_uid="test_follow")
    assert heard == [(Status.CLOSED, Status.CLOSED, True)]


def test_a_receiver_that_fails_undoes_the_move_and_its_messages(world: World) -> None:
    request = make_request(
        world.cell, requester_professional=ProfessionalFactory(cell=world.cell, email="adresseur@example.org")
    )
    messages_before = Message.objects.count()

    def refuse(sender: Any, **kwargs: Any) -> None:
        raise Refused

    request_moved.connect(refuse, dispatch_uid="test_refuse")
    try:
        with pytest.raises(Refused):
            services.request_reorient(request=request, user=world.colleague, resource=ResourceFactory(cell=world.cell))
    finally:
        request_moved.disconnect(dispatch_uid="test_refuse")
    request.refresh_from_db()
    assert request.status != Status.REORIENTED
    assert not request.events.filter(to_status=Status.REORIENTED).exists()
    assert Message.objects.count() == messages_before  # the requester's message, queued before, went with it


def test_the_messages_alerts_and_surveys_follow_the_moves() -> None:
    """The three apps that follow a request are connected at start-up, in their AppConfig.ready()."""
    connected = {entry[0][0] for entry in request_moved.receivers}  # (lookup key: (dispatch uid, sender), …)
    assert {"notifications_request_moved", "alerts_request_moved", "surveys_request_moved"} <= connected
