"""The request page's reads (desk.selectors.request_page), without HTTP."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from accounts.models import Membership, Role
from agenda.services import slot_book
from agenda.tests.factories import make_slot
from conftest import World
from desk.selectors import request_page
from referrals import services
from referrals.models import Request
from referrals.states import Status
from referrals.tests.factories import make_request
from tests.factories import MembershipFactory, ProfessionalFactory

pytestmark = pytest.mark.django_db


def _page(membership: Membership, request: Request, *, may_handle: bool, finders: bool = True) -> Any:
    return request_page(
        request,
        membership=membership,
        user=membership.user,
        may_handle=may_handle,
        now=timezone.now(),
        finder_filters=None,
        finder_shown=20,
        move_shown=8,
        with_finder=finders,
        with_move=finders,
    )


def test_a_coordinator_sees_the_finder_while_the_request_may_be_oriented(world: World) -> None:
    ProfessionalFactory(cell=world.cell)
    request = make_request(world.cell)
    slot = make_slot(world.cell)
    services.request_take(request=request, user=world.colleague)
    services.callback_log(request=request, user=world.colleague, outcome="no_answer")
    request.refresh_from_db()  # as the page reads it
    membership = Membership.objects.get(user=world.colleague, cell=world.cell)
    page = _page(membership, request, may_handle=True)
    assert (page.can_handle, page.can_orient, page.is_holder, page.for_requester) == (True, True, True, False)
    assert page.found is not None and [c.slot for c in page.candidates] == [slot]
    assert page.move_found is None
    assert len(page.callbacks) == 1 and page.next_try == page.callbacks[0].next_try_at
    assert page.as_context()["req"] == request
    assert page.as_context()["candidates"] == page.candidates
    assert page.finder_deferred is False


def test_unless_asked_for_the_finders_are_not_computed_but_announced(world: World) -> None:
    ProfessionalFactory(cell=world.cell)
    request = make_request(world.cell)
    slot = make_slot(world.cell)
    membership = Membership.objects.get(user=world.colleague, cell=world.cell)
    page = _page(membership, request, may_handle=True, finders=False)
    assert (page.can_orient, page.found, page.candidates, page.finder_deferred) == (True, None, None, True)
    slot_book(slot=slot, request=request, user=world.colleague)
    request.refresh_from_db()
    page = _page(membership, request, may_handle=True, finders=False)  # oriented: the slots to move to, deferred
    assert (page.move_found, page.move_deferred, page.finder_deferred) == (None, True, False)


def test_without_the_handling_permission_no_finder_is_computed(world: World) -> None:
    ProfessionalFactory(cell=world.cell)
    request = make_request(world.cell)
    make_slot(world.cell)
    membership = Membership.objects.get(user=world.colleague, cell=world.cell)
    page = _page(membership, request, may_handle=False)
    assert (page.can_handle, page.can_orient, page.found, page.candidates) == (False, False, None, None)
    assert (page.finder_deferred, page.move_deferred) == (False, False)  # nor a placeholder asking for it


def test_a_requester_sees_their_request_without_the_cell_s_calls_and_messages(world: World) -> None:
    pro = ProfessionalFactory(cell=world.cell)
    requester = MembershipFactory(cell=world.cell, role=Role.REQUESTER, requester_type="gp", professional=pro)
    request = make_request(world.cell, submitted_by=requester.user, requester_professional=pro)
    services.request_take(request=request, user=world.colleague)
    services.callback_log(request=request, user=world.colleague, outcome="no_answer")
    request.refresh_from_db()  # as the page reads it
    page = _page(requester, request, may_handle=False)
    assert page.for_requester
    assert (page.callbacks, page.duplicates, page.messages_sent, page.on_duty) == ([], [], [], None)
    assert page.events.exists()  # their request's timeline, as the requester sees it
    assert page.req.status == Status.IN_PROGRESS
