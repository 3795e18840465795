"""Reads for the SAS platform's link to a slot: the slot, if the user is a member of its cell, and the membership
with which they may book it directly."""

from __future__ import annotations

from accounts.models import Membership, Role, User
from agenda.models import Slot, may_book_directly


def slot_of_member(user: User, slot_id: int) -> Slot | None:
    """The slot, when the user is an active member of its cell; else None, as if it did not exist (its cell is not
    revealed: SECURITY.md)."""
    slot = Slot.objects.select_related("cell").filter(pk=slot_id).first()
    if slot is None or not Membership.objects.filter(user=user.pk, cell=slot.cell, is_active=True).exists():
        return None
    return slot


def booking_membership(user: User, slot: Slot) -> Membership | None:
    """The user's requester membership in the slot's cell that may book it directly, if any."""
    for membership in Membership.objects.filter(user=user, cell=slot.cell, role=Role.REQUESTER, is_active=True):
        if may_book_directly(
            membership.requester_type, slot, professional_id=membership.professional_id, site_id=membership.site_id
        ):
            return membership
    return None
