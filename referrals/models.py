from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField

from common.care import URGENCY_WEIGHT as URGENCY_WEIGHT  # the shared care vocabulary, re-exported for older imports
from common.care import CareChannel as CareChannel
from common.care import ExamType as ExamType
from common.care import Modality as Modality
from common.care import Urgency as Urgency
from directory.models import Professional, ReorientationResource, Site
from territory.models import Cell, Commune

from .states import OPEN, CloseReason, ReorientationReason, Status


class Channel(models.TextChoices):
    WEB = "web", _("Web form")
    PHONE = "phone", _("Phone")
    QR = "qr", _("QR code")
    API = "api", _("Software (API)")


class Sex(models.TextChoices):
    FEMALE = "F", _("Female")
    MALE = "M", _("Male")
    OTHER = "X", _("Other / not given")


class MTSituation(models.TextChoices):
    NO_MT = "no_mt", _("No médecin traitant")
    MT_UNAVAILABLE = "mt_unavailable", _("Médecin traitant unavailable")
    PASSING_THROUGH = "passing_through", _("Passing through the territory")


class ReasonCategory(models.TextChoices):
    FEVER_INFECTION = "fever_infection", _("Fever, infection")
    PAIN = "pain", _("Pain")
    TRAUMA = "trauma", _("Minor trauma, wound")
    RESPIRATORY = "respiratory", _("Respiratory (cough, ENT)")
    DIGESTIVE = "digestive", _("Digestive")
    SKIN = "skin", _("Skin, rash")
    URINARY = "urinary", _("Urinary")
    PRESCRIPTION = "prescription", _("Prescription renewal, paperwork")
    MENTAL_HEALTH = "mental_health", _("Mental health")
    OTHER = "other", _("Other")


class Elsewhere(models.TextChoices):
    """Where the patient would have gone without the cell: the basis of 'ER visits avoided'."""

    ER = "er", _("Emergency department")
    NOWHERE = "nowhere", _("Nowhere (would have gone without care)")
    SOS_MEDECINS = "sos_medecins", _("SOS Médecins")
    OTHER = "other", _("Elsewhere")
    UNKNOWN = "unknown", _("Don't know")


class ReferralSettings(models.Model):
    """A cell's own settings for handling requests."""

    cell = models.OneToOneField(Cell, on_delete=models.CASCADE, related_name="referral_settings")
    max_failed_callbacks = models.PositiveSmallIntegerField(_("failed callbacks before proposing closure"), default=3)
    hold_idle_minutes = models.PositiveSmallIntegerField(
        _("minutes after which an idle request frees itself"), default=20
    )
    warn_hours_before = models.PositiveSmallIntegerField(
        _("hours before the deadline when a request still waiting raises an alert"), default=6
    )

    class Meta:
        verbose_name = _("request settings")
        verbose_name_plural = _("request settings")
        constraints = [
            models.CheckConstraint(condition=Q(max_failed_callbacks__gte=1), name="settings_callbacks_at_least_1"),
            models.CheckConstraint(condition=Q(hold_idle_minutes__gte=1), name="settings_hold_at_least_1_minute"),
        ]

    def __str__(self) -> str:
        return str(self.cell)


class PartnerKind(models.TextChoices):
    PHARMACY = "pharmacy", _("Pharmacy")
    TOWN_HALL = "town_hall", _("Town hall")
    FRANCE_SERVICES = "france_services", _("France Services")
    SOCIAL = "social", _("Social services")
    OTHER = "other", _("Other partner")


def new_partner_token() -> str:
    return secrets.token_urlsafe(12)


class Partner(models.Model):
    """An organisation where the cell's QR code is displayed (seed 002): patients register there by themselves."""

    cell = models.ForeignKey(Cell, on_delete=models.PROTECT, related_name="partners", verbose_name=_("cell"))
    name = models.CharField(_("name"), max_length=150)
    kind = models.CharField(_("kind"), max_length=20, choices=PartnerKind.choices)
    commune = models.ForeignKey(Commune, on_delete=models.PROTECT, related_name="+", verbose_name=_("commune"))
    token = models.CharField(max_length=32, unique=True, default=new_partner_token, editable=False)
    is_active = models.BooleanField(_("QR code active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("partner organisation")
        verbose_name_plural = _("partner organisations")
        constraints = [models.UniqueConstraint(fields=["cell", "name"], name="partner_unique_name_per_cell")]

    def __str__(self) -> str:
        return self.name


class PublicSubmission(models.Model):
    """A trace of each public form submission, kept one day, to limit how often one address may submit."""

    key = models.CharField(max_length=64, db_index=True)  # a hash of the address and the partner: no IP stored
    at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.key[:8]} {self.at:%Y-%m-%d %H:%M}"


class TagColour(models.TextChoices):
    """The tags' palette: a few colours, each read with black or white text at a contrast of at least 4.5:1 (WCAG AA;
    `TAG_COLOURS` gives both, tests check the ratio). No free colour: a tag is also always shown with its name."""

    BLUE = "blue", _("Blue")
    GREEN = "green", _("Green")
    RED = "red", _("Red")
    PURPLE = "purple", _("Purple")
    TEAL = "teal", _("Teal")
    YELLOW = "yellow", _("Yellow")
    ORANGE = "orange", _("Orange")
    GREY = "grey", _("Grey")


# colour → (background, text), the same as the .tag-<colour> rules of static/css/aiguillage.css
TAG_COLOURS: dict[str, tuple[str, str]] = {
    TagColour.BLUE: ("#1d4ed8", "#ffffff"),
    TagColour.GREEN: ("#166534", "#ffffff"),
    TagColour.RED: ("#b91c1c", "#ffffff"),
    TagColour.PURPLE: ("#6b21a8", "#ffffff"),
    TagColour.TEAL: ("#115e59", "#ffffff"),
    TagColour.YELLOW: ("#fde047", "#000000"),
    TagColour.ORANGE: ("#fdba74", "#000000"),
    TagColour.GREY: ("#d1d5db", "#000000"),
}


def tag_key(name: str) -> str:
    """What makes two tag names the same: case and runs of spaces aside (« Faible urgence » = « faible  URGENCE »)."""
    return " ".join(name.split()).casefold()


class Tag(models.Model):
    """One of the cell's own words for its waiting list (seed 002: faible urgence, paramédical, médical…). Archived
    rather than deleted, so that the requests tagged with it keep it and the indicators still count it."""

    cell = models.ForeignKey(Cell, on_delete=models.CASCADE, related_name="tags", verbose_name=_("cell"))
    name = models.CharField(_("name"), max_length=40)
    key = models.CharField(max_length=40, editable=False)  # tag_key(name): unique in the cell
    colour = models.CharField(_("colour"), max_length=10, choices=TagColour.choices, default=TagColour.BLUE)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["key"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        constraints = [
            models.UniqueConstraint(fields=["cell", "key"], name="tag_unique_name_per_cell"),
            models.CheckConstraint(condition=~Q(key=""), name="tag_has_name"),
            models.CheckConstraint(condition=Q(colour__in=TagColour.values), name="tag_colour_of_palette"),
        ]

    def __str__(self) -> str:
        return self.name


SESSIONS_MAX = 20  # a series of sessions (physiotherapy, nursing): at most this many appointments for one request


class Request(models.Model):
    """A request for unscheduled care (demande de SNP) about one patient, from one requester."""

    cell = models.ForeignKey(Cell, on_delete=models.PROTECT, related_name="requests", verbose_name=_("cell"))
    reference = models.CharField(_("reference"), max_length=20, unique=True, editable=False)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    status = models.CharField(_("status"), max_length=30, choices=Status.choices, db_index=True)
    close_reason = models.CharField(_("reason for closing"), max_length=30, choices=CloseReason.choices, blank=True)
    received_at = models.DateTimeField(_("received at"), db_index=True)
    deadline_at = models.DateTimeField(_("deadline"), db_index=True)

    # Who sent it: a professional or a structure of the directory, and the account that typed it.
    requester_professional = models.ForeignKey(
        Professional, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("requester")
    )
    requester_site = models.ForeignKey(
        Site, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("requesting structure")
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    partner = models.ForeignKey(
        Partner,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="requests",
        verbose_name=_("partner organisation"),
    )

    patient_last_name = models.CharField(_("patient's last name"), max_length=100)
    patient_first_name = models.CharField(_("patient's first name"), max_length=100)
    patient_search_name = models.CharField(max_length=210, db_index=True, editable=False)
    patient_birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    patient_sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices, blank=True)
    patient_street = models.CharField(_("street address"), max_length=200, blank=True)
    patient_commune = models.ForeignKey(Commune, on_delete=models.PROTECT, related_name="+", verbose_name=_("commune"))
    patient_phone = PhoneNumberField(_("patient's phone"), blank=True)
    requester_answers = models.BooleanField(
        _("the requester answers for the patient"),
        default=False,
        help_text=_("For a patient who cannot be called (nursing home, child, language…)."),
    )
    mt_name = models.CharField(_("médecin traitant"), max_length=150, blank=True)
    mt_situation = models.CharField(_("situation"), max_length=20, choices=MTSituation.choices)
    reason = models.TextField(_("reason for the request"))
    reason_category = models.CharField(_("kind of reason"), max_length=20, choices=ReasonCategory.choices)
    care_channel = models.CharField(_("care wanted"), max_length=20, choices=CareChannel.choices)
    exam_type = models.CharField(_("exam"), max_length=20, choices=ExamType.choices, blank=True)
    urgency = models.CharField(_("urgency"), max_length=5, choices=Urgency.choices)
    modality = models.CharField(_("modality"), max_length=30, choices=Modality.choices, blank=True)
    elsewhere = models.CharField(
        _("where the patient would have gone otherwise"), max_length=20, choices=Elsewhere.choices
    )
    # A physiotherapy or nursing care may need a series of sessions (seed 004: one or two); each is an appointment.
    sessions = models.PositiveSmallIntegerField(_("sessions"), default=1)
    # How many of them are booked or recorded (not cancelled): kept by the booking services under the request's lock.
    # While an oriented series has fewer, it waits in the queue for its next session.
    sessions_taken = models.PositiveSmallIntegerField(default=0, editable=False)

    # Who is working on it now: two coordinators never call the same patient.
    holder = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("held by"),
    )
    held_since = models.DateTimeField(null=True, blank=True)
    last_activity_at = models.DateTimeField(null=True, blank=True)
    # When the cell was alerted that the deadline nears with the request still waiting (once).
    deadline_warned_at = models.DateTimeField(null=True, blank=True)

    failed_callbacks = models.PositiveSmallIntegerField(default=0)
    reorientation_reason = models.CharField(
        _("reason for the reorientation"), max_length=30, choices=ReorientationReason.choices, blank=True
    )
    reoriented_to = models.ForeignKey(
        ReorientationResource,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reoriented to"),
    )
    # Idempotency of intake: the same form or API call posted twice creates one request. The SHA-256 of the sender
    # and of their whole key (`services.intake.stored_submission_key`), and of the patient and reason they sent.
    submission_key = models.CharField(max_length=64, blank=True)
    submission_fingerprint = models.CharField(max_length=64, blank=True)
    # When the patient's personal data was removed (retention period over, or erasure asked by the patient): the
    # request stays for the statistics, with no name, contact, address or free text left.
    anonymised_at = models.DateTimeField(_("anonymised at"), null=True, blank=True)
    # The cell's own tags (never shown to the requester): only the cell's, which services.request_tags_set checks.
    tags = models.ManyToManyField(Tag, blank=True, related_name="requests", verbose_name=_("tags"))

    class Meta:
        ordering = ["deadline_at", "received_at"]
        verbose_name = _("request")
        verbose_name_plural = _("requests")
        indexes = [
            models.Index(fields=["cell", "status", "deadline_at"], name="request_queue"),
            # Find a request (referrals.search): the most recent first, a phone, a date of birth.
            models.Index(fields=["cell", "-received_at"], name="request_search_recent"),
            models.Index(fields=["cell", "patient_phone"], name="request_search_phone"),
            models.Index(fields=["cell", "patient_birth_date"], name="request_search_birth"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(received_at__lt=models.F("deadline_at")), name="request_deadline_after"),
            models.CheckConstraint(
                condition=~Q(care_channel="imaging") | ~Q(exam_type=""), name="request_imaging_has_exam"
            ),
            models.CheckConstraint(
                condition=Q(sessions__gte=1, sessions__lte=SESSIONS_MAX), name="request_sessions_in_range"
            ),
            models.CheckConstraint(
                condition=Q(sessions_taken__lte=models.F("sessions")), name="request_sessions_taken_within_series"
            ),
            models.CheckConstraint(
                condition=~Q(patient_phone="") | Q(requester_answers=True) | Q(anonymised_at__isnull=False),
                name="request_patient_reachable_unless_anonymised",
            ),
            models.CheckConstraint(
                condition=Q(requester_professional__isnull=False) | Q(requester_site__isnull=False) | Q(channel="qr"),
                name="request_has_requester",
            ),
            models.UniqueConstraint(
                fields=["cell", "submission_key"], condition=~Q(submission_key=""), name="request_one_per_submission"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} — {self.patient_first_name} {self.patient_last_name.upper()}"

    @property
    def patient_name(self) -> str:
        return f"{self.patient_first_name} {self.patient_last_name.upper()}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN

    def is_held_by_other(self, user_pk: int, now: datetime, idle: timedelta) -> bool:
        """Held by someone else who was active within the idle time (after which the hold frees itself)."""
        if self.holder_id is None or self.holder_id == user_pk or self.last_activity_at is None:
            return False
        return self.last_activity_at + idle > now


class EventKind(models.TextChoices):
    MOVE = "move", _("Status change")
    CALLBACK = "callback", _("Callback")
    NOTE = "note", _("Note")
    TAKEN = "taken", _("Taken")
    RELEASED = "released", _("Released")
    DUPLICATE = "duplicate", _("Possible duplicate")
    QUESTION = "question", _("Question to the supervisor")
    QUALIFIED = "qualified", _("Qualified")
    ANSWER = "answer", _("Supervisor's answer")
    APPOINTMENT_MOVED = "appointment_moved", _("Appointment moved")
    ALERT = "alert", _("Effectors alerted")
    DEADLINE_WARNING = "deadline_warning", _("Deadline near: the cell alerted")
    DEBRIEF = "debrief", _("Debrief by the spot's IDEL")
    TAGS = "tags", _("Tags changed")
    SESSION = "session", _("Session of a series")


class RequestEvent(models.Model):
    """One line of a request's timeline: who did what, when (stored in UTC)."""

    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=EventKind.choices)
    from_status = models.CharField(max_length=30, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=30, choices=Status.choices, blank=True)
    text = models.TextField(blank=True)
    visible_to_requester = models.BooleanField(default=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.request_id} {self.kind} {self.at:%Y-%m-%d %H:%M}"


class CallbackOutcome(models.TextChoices):
    REACHED = "reached", _("Reached")
    NO_ANSWER = "no_answer", _("No answer")
    VOICEMAIL = "voicemail", _("Voicemail (message left)")
    WRONG_NUMBER = "wrong_number", _("Wrong number")
    REFUSED = "refused", _("Refused")


FAILED_OUTCOMES = frozenset({CallbackOutcome.NO_ANSWER, CallbackOutcome.VOICEMAIL, CallbackOutcome.WRONG_NUMBER})


class Callback(models.Model):
    """One attempt to call the patient back. Every attempt counts."""

    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="callbacks")
    at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    outcome = models.CharField(_("outcome"), max_length=20, choices=CallbackOutcome.choices)
    next_try_at = models.DateTimeField(_("next try"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.request_id} {self.outcome}"


class DuplicateFlag(models.Model):
    """Two open requests that look like the same patient; a coordinator links or dismisses, never silently merged."""

    class Decision(models.TextChoices):
        PENDING = "pending", _("To check")
        LINKED = "linked", _("Same patient")
        DISMISSED = "dismissed", _("Different patients")

    first = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="+")
    second = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="+")
    decision = models.CharField(max_length=10, choices=Decision.choices, default=Decision.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["first", "second"], name="duplicate_flag_once"),
            models.CheckConstraint(condition=Q(first__lt=models.F("second")), name="duplicate_flag_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.first_id} ~ {self.second_id}"


class SupervisorDecision(models.TextChoices):
    ORIENT = "orient", _("Orient (book a slot)")
    REORIENT = "reorient", _("Reorient")
    CALL_15 = "call_15", _("Call the 15")
    ADVICE = "advice", _("Advice")


class SupervisorQuestion(models.Model):
    """A coordinator asks the supervising doctor about a request (sollicitation du médecin superviseur)."""

    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="questions")
    asked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    asked_at = models.DateTimeField(db_index=True)
    question = models.TextField(_("question"))
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    decision = models.CharField(_("decision"), max_length=10, choices=SupervisorDecision.choices, blank=True)
    answer = models.TextField(_("answer"), blank=True)
    # When a coordinator opened the request after the answer: until then the queue shows an answer waiting.
    read_at = models.DateTimeField(_("answer read at"), null=True, blank=True)

    class Meta:
        ordering = ["asked_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(answered_at__isnull=True, decision="") | Q(answered_at__isnull=False) & ~Q(decision=""),
                name="question_answer_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.request_id} {self.asked_at:%Y-%m-%d %H:%M}"


class DutyShift(models.Model):
    """Who is the supervising doctor on duty, and when (a cell's duty roster)."""

    cell = models.ForeignKey(Cell, on_delete=models.CASCADE, related_name="duty_shifts")
    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("supervising doctor")
    )
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("to"))

    class Meta:
        ordering = ["starts_at"]
        indexes = [models.Index(fields=["cell", "starts_at", "ends_at"], name="duty_shift_lookup")]
        constraints = [models.CheckConstraint(condition=Q(starts_at__lt=models.F("ends_at")), name="shift_ends_after")]

    def __str__(self) -> str:
        return f"{self.supervisor} {self.starts_at:%Y-%m-%d %H:%M}"


class QuestionKind(models.TextChoices):
    YES_NO = "yes_no", _("Yes / no")
    CHOICE = "choice", _("Choice")
    NUMBER = "number", _("Number")


class ProtocolQuestion(models.Model):
    """One question of the cell's qualification protocol (analyse procédurée des critères)."""

    cell = models.ForeignKey(Cell, on_delete=models.CASCADE, related_name="protocol_questions")
    order = models.PositiveSmallIntegerField(_("order"), default=10)
    text = models.CharField(_("question"), max_length=200)
    kind = models.CharField(_("kind of answer"), max_length=10, choices=QuestionKind.choices)
    choices = models.TextField(_("choices"), blank=True, help_text=_("For a choice: one answer per line."))
    red_flag = models.CharField(
        _("red-flag answer"),
        max_length=50,
        blank=True,
        help_text=_("The answer that stops the flow: yes or no; one of the choices; a bound such as >=40 or <90."),
    )
    red_flag_message = models.CharField(_("what to say then"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("protocol question")
        verbose_name_plural = _("protocol questions")

    def __str__(self) -> str:
        return self.text

    @property
    def choice_list(self) -> list[str]:
        return [line.strip() for line in self.choices.splitlines() if line.strip()]


class ProtocolRule(models.Model):
    """If a question gets an answer, suggest a care channel, a modality and/or an urgency."""

    question = models.ForeignKey(
        ProtocolQuestion, on_delete=models.CASCADE, related_name="rules", verbose_name=_("question")
    )
    answer = models.CharField(
        _("when the answer is"), max_length=50, help_text=_("yes or no; one of the choices; a bound such as >=39.")
    )
    care_channel = models.CharField(_("suggest the care"), max_length=20, choices=CareChannel.choices, blank=True)
    modality = models.CharField(_("suggest the modality"), max_length=30, choices=Modality.choices, blank=True)
    urgency = models.CharField(_("suggest the urgency"), max_length=5, choices=Urgency.choices, blank=True)
    note = models.CharField(_("why"), max_length=200, blank=True)

    class Meta:
        ordering = ["question__order", "pk"]
        verbose_name = _("protocol rule")
        verbose_name_plural = _("protocol rules")
        constraints = [
            models.CheckConstraint(
                condition=~Q(care_channel="") | ~Q(modality="") | ~Q(urgency=""), name="rule_suggests_something"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.question} = {self.answer}"


class Qualification(models.Model):
    """The coordinator's qualification of a request: the answers, what the protocol suggested, what was decided
    and why. Kept as it was at the time, even if the protocol changes later."""

    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="qualifications")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    answers = models.JSONField(default=list)  # [{"question": text, "answer": value}]
    red_flags = models.JSONField(default=list)
    suggested_care_channel = models.CharField(max_length=20, choices=CareChannel.choices, blank=True)
    suggested_modality = models.CharField(max_length=30, choices=Modality.choices, blank=True)
    suggested_urgency = models.CharField(max_length=5, choices=Urgency.choices, blank=True)
    care_channel = models.CharField(_("care"), max_length=20, choices=CareChannel.choices)
    modality = models.CharField(_("modality"), max_length=30, choices=Modality.choices, blank=True)
    urgency = models.CharField(_("urgency"), max_length=5, choices=Urgency.choices)
    reason = models.TextField(_("reason for the decision"), blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.request_id} {self.at:%Y-%m-%d %H:%M}"
