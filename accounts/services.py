"""Writes to accounts: creating or attaching a member of a cell, changing their role or links, ending their access."""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.errors import DomainError
from directory.models import Profession, Professional, Site
from territory.models import Cell

from .models import AlertChannel, Membership, PscAccessRequest, PscAccessStatus, RequesterType, Role, User
from .selectors import account_is_shared

USERNAME_TAKEN = _("This username is not available: choose another, or attach the existing account.")
ACCOUNT_NOT_FOUND = _("No account has this username with this e-mail address.")
ALREADY_MEMBER = _("This account is already a member of the cell (it may have lost its access: edit it).")
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
    """Give an existing account (of another cell) a role in this cell.

    The account is named by its username and e-mail address together, so that a cell cannot probe for accounts.
    """
    user = User.objects.filter(username__iexact=username.strip(), email__iexact=email.strip(), is_active=True).first()
    if user is None:
        raise DomainError(ACCOUNT_NOT_FOUND, field="username")
    if Membership.objects.filter(user=user, cell=cell).exists():
        raise DomainError(ALREADY_MEMBER, field="username")
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
    """Change a member's role, links or access; a deactivated membership loses access to the cell at once.

    The cell keeps at least one active administrator. An account shared with another cell keeps its name and e-mail.
    """
    membership = Membership.objects.select_for_update().select_related("user", "cell").get(pk=membership.pk)
    cell = membership.cell
    _check_links(cell=cell, role=role, requester_type=requester_type, professional=professional, site=site)
    stays_admin = role == Role.CELL_ADMIN and is_active
    if membership.role == Role.CELL_ADMIN and membership.is_active and not stays_admin:
        other_admins = Membership.objects.select_for_update().filter(cell=cell, role=Role.CELL_ADMIN, is_active=True)
        if not other_admins.exclude(pk=membership.pk).exists():
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
    """The member's own choice of how they are told what waits for them."""
    if channel not in AlertChannel.values:
        raise DomainError(ALERT_CHANNEL_UNKNOWN, field="alert_channel")
    membership.alert_channel = channel
    membership.save(update_fields=["alert_channel"])
    return membership
