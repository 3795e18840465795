"""Writes to accounts: creating or attaching a member of a cell, changing their role or links, ending their access."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from common.errors import DomainError
from directory.models import Profession, Professional, Site
from territory.models import Cell

from .models import (
    AlertChannel,
    Invitation,
    InvitationStatus,
    Membership,
    PscAccessRequest,
    PscAccessStatus,
    RequesterType,
    Role,
    User,
)
from .selectors import account_is_shared

USERNAME_TAKEN = _("This username is not available: choose another, or attach the existing account.")
ACCOUNT_NOT_FOUND = _("No account has this username with this e-mail address.")
ALREADY_MEMBER = _("This account is already a member of the cell (it may have lost its access: edit it).")
ROLE_ALREADY_HELD = _("This person already holds this role in the cell (it may have lost its access: edit it).")
REQUESTER_TYPE_REQUIRED = _("Say what kind of requester this is.")
REQUESTER_LINK_REQUIRED = _("Link the requester to a professional or a structure of the directory.")
REQUESTER_TYPE_MISMATCH = _("A requester of this type is linked to a professional of the same profession.")
EFFECTOR_LINK_REQUIRED = _("Link the effector to their professional record in the directory.")
LINK_OF_OTHER_CELL = _("This record does not belong to the cell.")
LAST_CELL_ADMIN = _("The cell must keep at least one administrator with access.")
SHARED_ACCOUNT = _("This account is shared with another cell: its name and e-mail cannot be changed here.")

# The profession a requester of each individual type has; the other types act for a structure.
REQUESTER_PROFESSION = {
    RequesterType.GP: Profession.GP,
    RequesterType.NURSE: Profession.NURSE,
    RequesterType.PHARMACIST: Profession.PHARMACIST,
    RequesterType.MIDWIFE: Profession.MIDWIFE,
    RequesterType.PHYSIOTHERAPIST: Profession.PHYSIOTHERAPIST,
}


def _check_links(
    *, cell: Cell, role: str, requester_type: str, professional: Professional | None, site: Site | None
) -> None:
    if professional is not None and professional.cell_id != cell.pk:
        raise DomainError(LINK_OF_OTHER_CELL, field="professional")
    if site is not None and site.cell_id != cell.pk:
        raise DomainError(LINK_OF_OTHER_CELL, field="site")
    if role == Role.REQUESTER:
        if not requester_type:
            raise DomainError(REQUESTER_TYPE_REQUIRED, field="requester_type")
        if professional is None and site is None:
            raise DomainError(REQUESTER_LINK_REQUIRED, field="professional")
        expected = REQUESTER_PROFESSION.get(RequesterType(requester_type))
        if professional is not None and expected is not None and professional.profession != expected:
            raise DomainError(REQUESTER_TYPE_MISMATCH, field="professional")
    if role == Role.EFFECTOR and professional is None:
        raise DomainError(EFFECTOR_LINK_REQUIRED, field="professional")


def _create_membership(
    *,
    user: User,
    cell: Cell,
    role: str,
    requester_type: str,
    professional: Professional | None,
    site: Site | None,
) -> Membership:
    return Membership.objects.create(
        user=user,
        cell=cell,
        role=role,
        requester_type=requester_type if role == Role.REQUESTER else "",
        professional=professional,
        site=site,
    )


@transaction.atomic
def member_create(
    *,
    cell: Cell,
    username: str,
    first_name: str,
    last_name: str,
    email: str,
    password: str,
    role: str,
    requester_type: str = "",
    professional: Professional | None = None,
    site: Site | None = None,
) -> Membership:
    """Create an account and its membership of the cell in one go; the password follows the validators (12+)."""
    username = username.strip()
    if User.objects.filter(username__iexact=username).exists():
        raise DomainError(USERNAME_TAKEN, field="username")
    _check_links(cell=cell, role=role, requester_type=requester_type, professional=professional, site=site)
    user = User(username=username, first_name=first_name, last_name=last_name, email=email)
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise DomainError(" ".join(error.messages), field="password") from error
    user.set_password(password)
    user.save()
    return _create_membership(
        user=user, cell=cell, role=role, requester_type=requester_type, professional=professional, site=site
    )


@transaction.atomic
def member_attach(
    *,
    cell: Cell,
    username: str,
    email: str,
    role: str,
    requester_type: str = "",
    professional: Professional | None = None,
    site: Site | None = None,
) -> Membership:
    """Give an existing account a role in this cell: the account of another cell, or a member of this one who takes
    one more role (one row per role: refused only when they already hold this one, active or not).

    The account is named by its username and e-mail address together, so that a cell cannot probe for accounts.
    """
    user = User.objects.filter(username__iexact=username.strip(), email__iexact=email.strip(), is_active=True).first()
    if user is None:
        raise DomainError(ACCOUNT_NOT_FOUND, field="username")
    if Membership.objects.filter(user=user, cell=cell, role=role).exists():
        raise DomainError(ROLE_ALREADY_HELD, field="role")
    _check_links(cell=cell, role=role, requester_type=requester_type, professional=professional, site=site)
    return _create_membership(
        user=user, cell=cell, role=role, requester_type=requester_type, professional=professional, site=site
    )


@transaction.atomic
def member_update(
    *,
    membership: Membership,
    first_name: str,
    last_name: str,
    email: str,
    role: str,
    requester_type: str = "",
    professional: Professional | None = None,
    site: Site | None = None,
    is_active: bool = True,
) -> Membership:
    """Change one role row of a member: its role, links or access. Deactivating it ends the person's access to the
    cell at once: every row of theirs in the cell is deactivated (kept, for the history); reactivating gives back
    this row only.

    The cell keeps at least one active administrator. An account shared with another cell keeps its name and e-mail.
    """
    membership = Membership.objects.select_for_update().select_related("user", "cell").get(pk=membership.pk)
    cell = membership.cell
    _check_links(cell=cell, role=role, requester_type=requester_type, professional=professional, site=site)
    person_rows = Membership.objects.select_for_update().filter(user=membership.user_id, cell=cell)
    if role != membership.role and person_rows.filter(role=role).exists():
        raise DomainError(ROLE_ALREADY_HELD, field="role")
    deactivating = membership.is_active and not is_active
    stays_admin = role == Role.CELL_ADMIN and is_active
    loses_admin = membership.role == Role.CELL_ADMIN and membership.is_active and not stays_admin
    if deactivating and not loses_admin:
        loses_admin = person_rows.filter(role=Role.CELL_ADMIN, is_active=True).exclude(pk=membership.pk).exists()
    if loses_admin:
        other_admins = Membership.objects.select_for_update().filter(cell=cell, role=Role.CELL_ADMIN, is_active=True)
        if not other_admins.exclude(user=membership.user_id).exists():
            raise DomainError(LAST_CELL_ADMIN, field="role")
    user = membership.user
    identity = (first_name, last_name, email)
    if identity != (user.first_name, user.last_name, user.email):
        if account_is_shared(membership):
            raise DomainError(SHARED_ACCOUNT, field="email")
        user.first_name, user.last_name, user.email = identity
        user.save(update_fields=["first_name", "last_name", "email"])
    membership.role = role
    membership.requester_type = requester_type if role == Role.REQUESTER else ""
    membership.professional = professional
    membership.site = site
    membership.is_active = is_active
    membership.save()
    if deactivating:
        person_rows.exclude(pk=membership.pk).update(is_active=False)
    return membership


# --- Pro Santé Connect: a professional no cell knows asks to join one; the cell administrator decides ---------------

PSC_ALREADY_DECIDED = _("This request was already decided.")
PSC_SEVERAL_ACCOUNTS = _(
    "Several accounts are linked to this RPPS number: attach the right one to the cell from the members' list."
)
PSC_ACCESS_CLOSED = _("This professional's access to the cell was closed: give it back from the member's page.")

# The profession codes of the national directory (nomenclature TRE_G15) a requester can have.
PSC_PROFESSIONS = {
    "10": Profession.GP,
    "21": Profession.PHARMACIST,
    "50": Profession.MIDWIFE,
    "60": Profession.NURSE,
    "70": Profession.PHYSIOTHERAPIST,
}
PSC_REQUESTER_TYPES = {
    "10": RequesterType.GP,
    "21": RequesterType.PHARMACIST,
    "50": RequesterType.MIDWIFE,
    "60": RequesterType.NURSE,
    "70": RequesterType.PHYSIOTHERAPIST,
}


def psc_access_request_create(
    *, rpps: str, given_name: str, family_name: str, profession_code: str, cell: Cell
) -> PscAccessRequest:
    """A professional authenticated by Pro Santé Connect, known to no cell, asks to join `cell`. One request waits
    per RPPS (a constraint): asking again while one waits returns the waiting one unchanged."""
    try:
        with transaction.atomic():
            return PscAccessRequest.objects.create(
                rpps=rpps, given_name=given_name, family_name=family_name, profession_code=profession_code, cell=cell
            )
    except IntegrityError:
        return PscAccessRequest.objects.get(rpps=rpps, status=PscAccessStatus.PENDING)


def _psc_decided(access_request: PscAccessRequest) -> PscAccessRequest:
    locked = PscAccessRequest.objects.select_for_update().select_related("cell").get(pk=access_request.pk)
    if locked.status != PscAccessStatus.PENDING:
        raise DomainError(PSC_ALREADY_DECIDED)
    return locked


def _psc_account(access_request: PscAccessRequest) -> User:
    """The professional's account: the one already linked to their RPPS in another cell, else a new one that can
    only log in through Pro Santé Connect (no usable password)."""
    linked = list(User.objects.filter(memberships__professional__rpps=access_request.rpps).distinct()[:2])
    if len(linked) > 1:
        raise DomainError(PSC_SEVERAL_ACCOUNTS)
    if linked:
        return linked[0]
    user, created = User.objects.get_or_create(
        username=f"psc-{access_request.rpps}",
        defaults={"first_name": access_request.given_name.title(), "last_name": access_request.family_name},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


@transaction.atomic
def psc_access_request_approve(
    *, access_request: PscAccessRequest, decided_by: User, requester_type: str
) -> Membership:
    """The cell administrator lets the professional in as a requester of the type they choose, linked to the cell's
    directory record of that RPPS (made from the names Pro Santé Connect gave when the directory lacks it). Their next
    Pro Santé Connect login opens the cell."""
    locked = _psc_decided(access_request)
    cell = locked.cell
    if not requester_type:
        raise DomainError(REQUESTER_TYPE_REQUIRED, field="requester_type")
    professional = Professional.objects.filter(cell=cell, rpps=locked.rpps).first()
    if professional is None:
        profession = (
            REQUESTER_PROFESSION.get(RequesterType(requester_type))
            or PSC_PROFESSIONS.get(locked.profession_code)
            or Profession.OTHER
        )
        professional = Professional.objects.create(
            cell=cell,
            rpps=locked.rpps,
            first_name=locked.given_name.title(),
            last_name=locked.family_name,
            profession=profession,
        )
    _check_links(cell=cell, role=Role.REQUESTER, requester_type=requester_type, professional=professional, site=None)
    user = _psc_account(locked)
    existing = Membership.objects.filter(user=user, cell=cell).first()
    if existing is not None:
        raise DomainError(ALREADY_MEMBER if existing.is_active else PSC_ACCESS_CLOSED)
    membership = _create_membership(
        user=user, cell=cell, role=Role.REQUESTER, requester_type=requester_type, professional=professional, site=None
    )
    locked.status = PscAccessStatus.APPROVED
    locked.decided_by = decided_by
    locked.decided_at = timezone.now()
    locked.membership = membership
    locked.save(update_fields=["status", "decided_by", "decided_at", "membership"])
    return membership


@transaction.atomic
def psc_access_request_refuse(*, access_request: PscAccessRequest, decided_by: User) -> PscAccessRequest:
    """The cell administrator refuses: the professional is told so at their next Pro Santé Connect login."""
    locked = _psc_decided(access_request)
    locked.status = PscAccessStatus.REFUSED
    locked.decided_by = decided_by
    locked.decided_at = timezone.now()
    locked.save(update_fields=["status", "decided_by", "decided_at"])
    return locked


ALERT_CHANNEL_UNKNOWN = _("Choose SMS or e-mail.")


def membership_alert_channel_set(*, membership: Membership, channel: str) -> Membership:
    """The member's own choice of how they are told what waits for them: one choice for the person, on every row of
    theirs in the cell (whichever role a warning comes through)."""
    if channel not in AlertChannel.values:
        raise DomainError(ALERT_CHANNEL_UNKNOWN, field="alert_channel")
    Membership.objects.filter(user=membership.user_id, cell=membership.cell_id).update(alert_channel=channel)
    membership.alert_channel = channel
    return membership


# --- Invitations: the cell administrator invites a person by e-mail; they choose their password (or use PSC) --------

INVITATION_VALIDITY = timedelta(days=7)
INVITATION_ALREADY_MEMBER = _("A member of the cell already has this e-mail address.")
INVITATION_PENDING = _("An invitation to this address is already waiting: send it again from the members' page.")
INVITATION_UNKNOWN = _("This invitation link is not valid. Check that you copied the whole link from the e-mail.")
INVITATION_USED = _("This invitation was already used. Log in with the account it created.")
INVITATION_EXPIRED = _("This invitation has expired. Ask the cell for a new one.")
INVITATION_REVOKED = _("This invitation was withdrawn by the cell.")
INVITATION_NOT_PENDING = _("This invitation is no longer waiting: it cannot be sent again or withdrawn.")
INVITATION_LOG_IN_FIRST = _("An account already has this e-mail address: log in with it to accept the invitation.")
INVITATION_RPPS_MISMATCH = _("This invitation is for another professional than the one Pro Santé Connect identified.")


class InvitationGone(DomainError):
    """The link was right once but can no longer be used (used, expired, withdrawn): 410, not 404."""


def invitation_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_link(token: str) -> str:
    return settings.AIGUILLAGE_BASE_URL.rstrip("/") + reverse("accounts:invitation_accept", kwargs={"token": token})


def _invitation_send(invitation: Invitation, token: str) -> None:
    """The e-mail leaves after the commit, straight through Django's mail (as Django's password reset does), not
    through the outbox: the link is a secret that must live only in the e-mail, and the outbox keeps its bodies in
    the database for the coordinators to read. A send that fails is sent again from the members' page (a new link)."""
    context = {
        "cell": invitation.cell.name,
        "role": invitation.get_role_display(),
        "inviter": str(invitation.invited_by) if invitation.invited_by else invitation.cell.name,
        "link": invitation_link(token),
        "expires_at": invitation.expires_at,
    }
    subject = gettext("Invitation to %(cell)s on Aiguillage") % {"cell": invitation.cell.name}
    body = render_to_string("accounts/invitation_email.txt", context)
    recipient = invitation.email
    transaction.on_commit(lambda: send_mail(subject, body, None, [recipient]))


def _new_token() -> str:
    return secrets.token_urlsafe(32)


@transaction.atomic
def invitation_create(
    *,
    cell: Cell,
    email: str,
    role: str,
    invited_by: User,
    requester_type: str = "",
    professional: Professional | None = None,
    site: Site | None = None,
    now: datetime | None = None,
) -> Invitation:
    """Invite a person by e-mail to a role of the cell: a link valid 7 days, used once. Nobody is invited twice at
    the same time, nor a person whose address a member of the cell already has."""
    now = now or timezone.now()
    email = User.objects.normalize_email(email.strip())
    if Membership.objects.filter(cell=cell, user__email__iexact=email).exists():
        raise DomainError(INVITATION_ALREADY_MEMBER, field="email")
    _check_links(cell=cell, role=role, requester_type=requester_type, professional=professional, site=site)
    # Two administrators inviting the same address at the same instant make two valid links: harmless, not locked.
    waiting = Invitation.objects.filter(
        cell=cell, email__iexact=email, used_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now
    )
    if waiting.exists():
        raise DomainError(INVITATION_PENDING, field="email")
    token = _new_token()
    invitation = Invitation.objects.create(
        cell=cell,
        email=email,
        role=role,
        requester_type=requester_type if role == Role.REQUESTER else "",
        professional=professional,
        site=site,
        token_hash=invitation_token_hash(token),
        invited_by=invited_by,
        sent_at=now,
        expires_at=now + INVITATION_VALIDITY,
    )
    _invitation_send(invitation, token)
    return invitation


def _invitation_locked(invitation: Invitation, now: datetime) -> Invitation:
    locked = (
        Invitation.objects.select_for_update(of=("self",)).select_related("cell", "invited_by").get(pk=invitation.pk)
    )
    if locked.used_at is not None or locked.revoked_at is not None:
        raise DomainError(INVITATION_NOT_PENDING)
    return locked


@transaction.atomic
def invitation_resend(*, invitation: Invitation, now: datetime | None = None) -> Invitation:
    """A new link (the old one stops working), valid 7 days from now; an expired invitation may be sent again."""
    now = now or timezone.now()
    locked = _invitation_locked(invitation, now)
    token = _new_token()
    locked.token_hash = invitation_token_hash(token)
    locked.sent_at = now
    locked.expires_at = now + INVITATION_VALIDITY
    locked.save(update_fields=["token_hash", "sent_at", "expires_at"])
    _invitation_send(locked, token)
    return locked


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, now: datetime | None = None) -> Invitation:
    """The link stops working at once."""
    locked = _invitation_locked(invitation, now or timezone.now())
    locked.revoked_at = now or timezone.now()
    locked.save(update_fields=["revoked_at"])
    return locked


def invitation_open(token: str, *, now: datetime | None = None, lock: bool = False) -> Invitation:
    """The invitation a link names, still usable; else a DomainError (unknown link) or InvitationGone."""
    now = now or timezone.now()
    invitations = Invitation.objects.select_related("cell", "professional", "site", "invited_by")
    if lock:
        invitations = invitations.select_for_update(of=("self",))
    invitation = invitations.filter(token_hash=invitation_token_hash(token)).first()
    if invitation is None:
        raise DomainError(INVITATION_UNKNOWN)
    status = invitation.status_at(now)
    if status != InvitationStatus.PENDING:
        message = {
            InvitationStatus.USED: INVITATION_USED,
            InvitationStatus.EXPIRED: INVITATION_EXPIRED,
            InvitationStatus.REVOKED: INVITATION_REVOKED,
        }[InvitationStatus(status)]
        raise InvitationGone(message)
    return invitation


def _invitation_use(invitation: Invitation, user: User, now: datetime) -> Membership:
    # An invitation carries one role: a member who holds another role of the cell takes this one as one more row.
    if Membership.objects.filter(user=user, cell=invitation.cell, role=invitation.role).exists():
        raise DomainError(ROLE_ALREADY_HELD)
    membership = _create_membership(
        user=user,
        cell=invitation.cell,
        role=invitation.role,
        requester_type=invitation.requester_type,
        professional=invitation.professional,
        site=invitation.site,
    )
    invitation.used_at = now
    invitation.membership = membership
    invitation.save(update_fields=["used_at", "membership"])
    return membership


@transaction.atomic
def invitation_accept_new_account(
    *, token: str, username: str, first_name: str, last_name: str, password: str, now: datetime | None = None
) -> Membership:
    """A new account for the invited person, with the password they chose (the validators apply), and their
    membership of the cell; the link is then used. Their second factor is set up at once, before the cell opens."""
    now = now or timezone.now()
    invitation = invitation_open(token, now=now, lock=True)
    if User.objects.filter(email__iexact=invitation.email).exists():
        raise DomainError(INVITATION_LOG_IN_FIRST)
    username = username.strip()
    if User.objects.filter(username__iexact=username).exists():
        raise DomainError(USERNAME_TAKEN, field="username")
    user = User(username=username, first_name=first_name, last_name=last_name, email=invitation.email)
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise DomainError(" ".join(error.messages), field="password1") from error
    user.set_password(password)
    user.save()
    return _invitation_use(invitation, user, now)


@transaction.atomic
def invitation_accept_for_user(*, token: str, user: User, now: datetime | None = None) -> Membership:
    """A person already logged in (an account of another cell, the one with the invited address) joins the cell
    with their account: the link, sent to the invited address, is the proof."""
    now = now or timezone.now()
    invitation = invitation_open(token, now=now, lock=True)
    return _invitation_use(invitation, user, now)


@transaction.atomic
def invitation_accept_with_psc(
    *, token: str, rpps: str, given_name: str, family_name: str, now: datetime | None = None
) -> Membership:
    """A professional Pro Santé Connect identified and no cell knows yet accepts: an account that logs in only
    through PSC, its membership linked to the cell's directory record of their RPPS (the invitation's, which must be
    theirs, or made from the names PSC gave), so that their next PSC login opens the cell."""
    now = now or timezone.now()
    invitation = invitation_open(token, now=now, lock=True)
    cell = invitation.cell
    professional = invitation.professional
    if professional is not None and professional.rpps != rpps:
        raise DomainError(INVITATION_RPPS_MISMATCH)
    if professional is None:
        professional = Professional.objects.filter(cell=cell, rpps=rpps).first()
    if professional is None:
        expected = (
            REQUESTER_PROFESSION.get(RequesterType(invitation.requester_type)) if invitation.requester_type else None
        )
        professional = Professional.objects.create(
            cell=cell,
            rpps=rpps,
            first_name=given_name.title(),
            last_name=family_name,
            profession=expected or Profession.OTHER,
        )
    invitation.professional = professional
    _check_links(
        cell=cell,
        role=invitation.role,
        requester_type=invitation.requester_type,
        professional=professional,
        site=invitation.site,
    )
    user, created = User.objects.get_or_create(
        username=f"psc-{rpps}",
        defaults={"first_name": given_name.title(), "last_name": family_name, "email": invitation.email},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return _invitation_use(invitation, user, now)
