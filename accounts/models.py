from datetime import datetime

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from directory.models import Professional, Site
from territory.models import Cell


class User(AbstractUser):
    """A person who logs in. What they may do depends on their memberships, one per cell.

    `is_superuser` marks a platform administrator (the Django admin); it gives no access to cells' patient data.
    """

    # An account of the demo data (`manage.py load_demo`): only where AIGUILLAGE_DEMO is on may it skip the second
    # factor, and a banner says so. Production settings force AIGUILLAGE_DEMO off.
    is_demo = models.BooleanField(_("demo account"), default=False, editable=False)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.get_full_name() or self.username


class LoginThrottle(models.Model):
    """Failed logins counted per (username, address) and per address alone, so that someone guessing from elsewhere
    never locks the real user out: after 10 failures, a pause that grows with each further failure, never permanent."""

    key = models.CharField(max_length=64, unique=True)  # a hash: the table holds no username or address in clear
    failures = models.PositiveIntegerField(default=0)
    last_failure_at = models.DateTimeField()
    locked_until = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.key[:8]}… {self.failures}"


class LoginSession(models.Model):
    """The sessions a user has open, so that disabling the account ends all of them at once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="login_sessions")
    session_key = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.user_id} {self.created_at:%Y-%m-%d %H:%M}"


class Role(models.TextChoices):
    REQUESTER = "requester", _("Requester")
    COORDINATOR = "coordinator", _("Coordinator")
    SUPERVISOR = "supervisor", _("Supervising doctor")
    EFFECTOR = "effector", _("Effector")
    CELL_ADMIN = "cell_admin", _("Cell administrator")


class RequesterType(models.TextChoices):
    """Who sends requests (PRODUCT.md, 'Who uses it'): only health professionals and structures."""

    GP = "gp", _("General practitioner")
    NURSE = "nurse", _("Nurse (IDEL)")
    PHARMACIST = "pharmacist", _("Pharmacist")
    MIDWIFE = "midwife", _("Midwife")
    PHYSIOTHERAPIST = "physiotherapist", _("Physiotherapist")
    SAS_REGULATOR = "sas_regulator", _("SAS / Centre 15 regulator")
    EMERGENCY = "emergency", _("Hospital emergency department")
    SOS_MEDECINS = "sos_medecins", _("SOS Médecins")


class AlertChannel(models.TextChoices):
    """How a member is told of what waits for them (a supervisor's question, a deadline near)."""

    SMS = "sms", _("By SMS (to the mobile of my professional record), else by e-mail")
    EMAIL = "email", _("By e-mail")


class Membership(models.Model):
    """One role of a user in one cell. A person may hold several roles in a cell (a GP who refers patients and
    publishes slots): one row per role, each with its own links, so the per-role constraints below still hold. The
    pages group a person's rows as one person; `accounts.policies.membership_for` picks the acting row."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("user"))
    cell = models.ForeignKey(Cell, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("cell"))
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    requester_type = models.CharField(_("requester type"), max_length=20, choices=RequesterType.choices, blank=True)
    professional = models.ForeignKey(
        Professional,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="memberships",
        verbose_name=_("professional"),
    )
    site = models.ForeignKey(
        Site,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="memberships",
        verbose_name=_("structure"),
        help_text=_("For a requester who acts for a structure (pharmacy, emergency department, SAS…)."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    alert_channel = models.CharField(
        _("how to tell me"), max_length=10, choices=AlertChannel.choices, default=AlertChannel.SMS
    )

    class Meta:
        ordering = ["cell__name", "user__username"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "cell", "role"], name="membership_one_row_per_role"),
            models.CheckConstraint(
                condition=~Q(role="requester") | ~Q(requester_type=""), name="membership_requester_has_type"
            ),
            models.CheckConstraint(
                condition=~Q(role="requester") | Q(professional__isnull=False) | Q(site__isnull=False),
                name="membership_requester_is_linked",
            ),
            models.CheckConstraint(
                condition=~Q(role="effector") | Q(professional__isnull=False),
                name="membership_effector_is_professional",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} — {self.cell}"


class PscAccessStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for the cell's decision")
    APPROVED = "approved", pgettext_lazy("access request", "Approved")
    REFUSED = "refused", pgettext_lazy("access request", "Refused")


class PscAccessRequest(models.Model):
    """A health professional authenticated by Pro Santé Connect whom no cell knows yet asks to join one as a
    requester. The names come from Pro Santé Connect; the cell administrator of the chosen cell decides."""

    rpps = models.CharField(_("RPPS"), max_length=11)
    given_name = models.CharField(_("first name"), max_length=100)
    family_name = models.CharField(_("last name"), max_length=100)
    # The profession code of the national directory (TRE_G15: 10 doctor, 21 pharmacist, 60 nurse…), when given.
    profession_code = models.CharField(_("profession code"), max_length=10, blank=True)
    cell = models.ForeignKey(Cell, on_delete=models.CASCADE, related_name="psc_access_requests", verbose_name=_("cell"))
    status = models.CharField(
        _("status"), max_length=10, choices=PscAccessStatus.choices, default=PscAccessStatus.PENDING
    )
    created_at = models.DateTimeField(_("asked at"), auto_now_add=True)
    decided_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("decided by")
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    membership = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("member")
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("Pro Santé Connect access request")
        verbose_name_plural = _("Pro Santé Connect access requests")
        constraints = [
            # One request waiting per professional at a time: a second login while it waits shows it again.
            models.UniqueConstraint(
                fields=["rpps"], condition=Q(status="pending"), name="psc_access_one_pending_per_rpps"
            ),
            models.CheckConstraint(
                condition=Q(status="pending", decided_at__isnull=True)
                | (~Q(status="pending") & Q(decided_at__isnull=False)),
                name="psc_access_decided_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.given_name} {self.family_name.upper()} ({self.rpps})"


class InvitationStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("invitation", "Pending")
    USED = "used", pgettext_lazy("invitation", "Used")
    EXPIRED = "expired", pgettext_lazy("invitation", "Expired")
    REVOKED = "revoked", pgettext_lazy("invitation", "Revoked")


class Invitation(models.Model):
    """The cell administrator invites a person by e-mail to a role in the cell: a single-use link that expires. Only
    a hash of the link's token is kept; the link itself exists only in the e-mail sent."""

    cell = models.ForeignKey(Cell, on_delete=models.CASCADE, related_name="invitations", verbose_name=_("cell"))
    email = models.EmailField(_("e-mail"))
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    requester_type = models.CharField(_("requester type"), max_length=20, choices=RequesterType.choices, blank=True)
    professional = models.ForeignKey(
        Professional, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("professional")
    )
    site = models.ForeignKey(
        Site, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("structure")
    )
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("invited by")
    )
    created_at = models.DateTimeField(_("invited at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"))
    expires_at = models.DateTimeField(_("expires at"))
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    membership = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("member")
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        constraints = [
            models.CheckConstraint(
                condition=~Q(role="requester") | ~Q(requester_type=""), name="invitation_requester_has_type"
            ),
            models.CheckConstraint(
                condition=~Q(role="requester") | Q(professional__isnull=False) | Q(site__isnull=False),
                name="invitation_requester_is_linked",
            ),
            models.CheckConstraint(
                condition=~Q(role="effector") | Q(professional__isnull=False),
                name="invitation_effector_is_professional",
            ),
            models.CheckConstraint(
                condition=Q(used_at__isnull=True) | Q(revoked_at__isnull=True),
                name="invitation_used_or_revoked_not_both",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} — {self.get_role_display()} — {self.cell}"

    def status_at(self, now: datetime) -> str:
        if self.used_at is not None:
            return InvitationStatus.USED
        if self.revoked_at is not None:
            return InvitationStatus.REVOKED
        if self.expires_at <= now:
            return InvitationStatus.EXPIRED
        return InvitationStatus.PENDING
