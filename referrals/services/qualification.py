"""The cell's qualification protocol: recording a qualification, and editing the protocol."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import User
from common.errors import DomainError
from territory.models import Cell

from .. import protocol
from ..deadlines import deadline_for
from ..models import (
    CareChannel,
    EventKind,
    Modality,
    ProtocolQuestion,
    ProtocolRule,
    Qualification,
    QuestionKind,
    Request,
    Urgency,
)
from ..states import OPEN, Status
from ._core import (
    EXAM_REQUIRED,
    NOT_OPEN,
    _event,
    _locked,
    _move,
    _require_handler,
)

NOT_VALIDATED = _("Validate the self-registration into the queue before qualifying it.")
YES_LABEL = pgettext_lazy("answer", "Yes")
NO_LABEL = pgettext_lazy("answer", "No")
ANSWER_NOT_A_CHOICE = _("“%(answer)s” is not one of the answers offered.")
ANSWER_NOT_A_NUMBER = _("Give a number.")
ANSWER_NOT_YES_NO = _("Answer yes or no.")
REASON_REQUIRED_TO_OVERRIDE = _("Say why you decide otherwise than the protocol suggests.")
RED_FLAG_STOPS = _("Red flag: %(flags)s. This is not unscheduled care: call the 15, then close the request.")


def protocol_for(cell: Cell) -> tuple[list[ProtocolQuestion], list[protocol.Question], list[protocol.Rule]]:
    """The cell's active questions, and the same as plain data for `protocol.evaluate` (questions keyed by pk)."""
    questions = list(ProtocolQuestion.objects.filter(cell=cell, is_active=True).prefetch_related("rules"))
    plain = [
        protocol.Question(str(q.pk), q.text, q.kind, tuple(q.choice_list), q.red_flag, q.red_flag_message)
        for q in questions
    ]
    rules = [
        protocol.Rule(str(q.pk), rule.answer, rule.care_channel, rule.modality, rule.urgency, rule.note)
        for q in questions
        for rule in q.rules.all()
    ]
    return questions, plain, rules


def _check_answers(questions: list[ProtocolQuestion], answers: dict[str, str]) -> None:
    for question in questions:
        answer = answers.get(str(question.pk), "").strip()
        if not answer:
            continue
        field = f"q{question.pk}"
        if question.kind == QuestionKind.YES_NO and answer not in ("yes", "no"):
            raise DomainError(ANSWER_NOT_YES_NO, field=field)
        if question.kind == QuestionKind.CHOICE and answer not in question.choice_list:
            raise DomainError(ANSWER_NOT_A_CHOICE % {"answer": answer}, field=field)
        if question.kind == QuestionKind.NUMBER:
            try:
                float(answer.replace(",", "."))
            except ValueError as error:
                raise DomainError(ANSWER_NOT_A_NUMBER, field=field) from error


def suggestion_labels(outcome: protocol.Outcome) -> list[str]:
    """The protocol's suggestion in words, for people."""
    labels = []
    if outcome.care_channel:
        labels.append(str(CareChannel(outcome.care_channel).label))
    if outcome.modality:
        labels.append(str(Modality(outcome.modality).label))
    if outcome.urgency:
        labels.append(str(Urgency(outcome.urgency).label))
    return labels


def _answer_as_said(question: ProtocolQuestion, answer: str) -> str:
    """The answer in words, as kept in the qualification (oui / non rather than yes / no)."""
    if question.kind == QuestionKind.YES_NO and answer in ("yes", "no"):
        return str(YES_LABEL if answer == "yes" else NO_LABEL)
    return answer


def qualification_preview(*, cell: Cell, answers: dict[str, str]) -> protocol.Outcome:
    _questions, plain, rules = protocol_for(cell)
    return protocol.evaluate(plain, rules, answers)


@transaction.atomic
def qualification_record(
    *,
    request: Request,
    user: User,
    answers: dict[str, str],
    care_channel: str = "",
    modality: str = "",
    urgency: str = "",
    exam_type: str = "",
    reason: str = "",
    now: datetime | None = None,
) -> Qualification:
    """Keep the answers, the protocol's suggestion and the coordinator's decision with its reason.

    A red flag stops here: the qualification is kept and the coordinator is told to call the 15 (the request is then
    closed as 'sent to the 15'). An empty decision takes the suggestion, else the request's current value. Deciding
    otherwise than the suggestion needs a reason. The decision updates the request (and its deadline by urgency).
    """
    now = now or timezone.now()
    questions, plain, rules = protocol_for(request.cell)
    _check_answers(questions, answers)
    outcome = protocol.evaluate(plain, rules, answers)
    request = _locked(request)
    if request.status not in OPEN or request.status == Status.TO_VALIDATE:
        raise DomainError(NOT_OPEN if request.status not in OPEN else NOT_VALIDATED, code="not_open")
    _require_handler(request, user, now)
    decided_channel = care_channel or outcome.care_channel or request.care_channel
    decided_modality = modality or outcome.modality or request.modality
    decided_urgency = urgency or outcome.urgency or request.urgency
    overridden = any(
        chosen and suggested and chosen != suggested
        for chosen, suggested in (
            (care_channel, outcome.care_channel),
            (modality, outcome.modality),
            (urgency, outcome.urgency),
        )
    )
    if overridden and not reason.strip():
        raise DomainError(REASON_REQUIRED_TO_OVERRIDE, field="reason")
    if decided_channel == CareChannel.IMAGING and not (exam_type or request.exam_type):
        raise DomainError(EXAM_REQUIRED, field="exam_type")
    qualification = Qualification.objects.create(
        request=request,
        by=user,
        at=now,
        answers=[{"question": q.text, "answer": _answer_as_said(q, answers.get(str(q.pk), ""))} for q in questions],
        red_flags=outcome.red_flags,
        suggested_care_channel=outcome.care_channel,
        suggested_modality=outcome.modality,
        suggested_urgency=outcome.urgency,
        care_channel=decided_channel,
        modality=decided_modality,
        urgency=decided_urgency,
        reason=reason.strip(),
    )
    if outcome.stop:
        _event(
            request,
            at=now,
            actor=user,
            kind=EventKind.QUALIFIED,
            visible_to_requester=False,
            text=str(RED_FLAG_STOPS % {"flags": "; ".join(outcome.red_flags)}),
        )
        request.last_activity_at = now
        request.save()
        return qualification
    request.care_channel, request.modality, request.urgency = decided_channel, decided_modality, decided_urgency
    if decided_channel == CareChannel.IMAGING:
        request.exam_type = exam_type or request.exam_type
    else:
        request.exam_type = ""
    request.deadline_at = deadline_for(request.received_at, decided_urgency)
    request.last_activity_at = now
    if request.status == Status.RECEIVED:
        _move(request, Status.IN_PROGRESS, actor=user, at=now)
    request.save()
    summary = " · ".join(
        str(label)
        for label in (
            CareChannel(decided_channel).label,
            Modality(decided_modality).label if decided_modality else "",
            Urgency(decided_urgency).label,
        )
        if label
    )
    _event(
        request,
        at=now,
        actor=user,
        kind=EventKind.QUALIFIED,
        visible_to_requester=False,
        text=f"{summary}. {reason.strip()}".strip(),
    )
    return qualification


CHOICES_REQUIRED = _("A choice question needs at least two answers, one per line.")
CONDITION_YES_NO = _("Write oui or non.")
CONDITION_CHOICE = _("Write one of the question's answers.")
CONDITION_NUMBER = _("Write a bound such as >=39, <90 or =0.")
_BOUND = re.compile(r"(>=|<=|>|<|=)\s*-?\d+(?:[.,]\d+)?")
SUGGESTION_REQUIRED = _("A rule suggests a care, a modality or an urgency.")


_YES_NO_WORDS = {"oui": "yes", "non": "no", "yes": "yes", "no": "no"}


def _normalise_condition(question: ProtocolQuestion, value: str) -> str:
    """Administrators may write oui / non: stored as yes / no, the values of the answers."""
    value = value.strip()
    if question.kind == QuestionKind.YES_NO:
        return _YES_NO_WORDS.get(value.casefold(), value)
    return value


def _check_condition(question: ProtocolQuestion, value: str, field: str) -> None:
    value = value.strip()
    if not value:
        return
    if question.kind == QuestionKind.YES_NO and value not in ("yes", "no"):
        raise DomainError(CONDITION_YES_NO, field=field)
    if question.kind == QuestionKind.CHOICE and value not in question.choice_list:
        raise DomainError(CONDITION_CHOICE, field=field)
    if question.kind == QuestionKind.NUMBER and not _BOUND.fullmatch(value):
        raise DomainError(CONDITION_NUMBER, field=field)


@transaction.atomic
def protocol_question_save(*, cell: Cell, question: ProtocolQuestion | None = None, **fields: Any) -> ProtocolQuestion:
    """A question of the cell's protocol; its red-flag answer must make sense for its kind."""
    question = question or ProtocolQuestion(cell=cell)
    for name, value in fields.items():
        setattr(question, name, value)
    if question.kind == QuestionKind.CHOICE and len(question.choice_list) < 2:
        raise DomainError(CHOICES_REQUIRED, field="choices")
    question.red_flag = _normalise_condition(question, question.red_flag)
    _check_condition(question, question.red_flag, "red_flag")
    question.save()
    return question


@transaction.atomic
def protocol_rule_save(*, question: ProtocolQuestion, rule: ProtocolRule | None = None, **fields: Any) -> ProtocolRule:
    rule = rule or ProtocolRule(question=question)
    for name, value in fields.items():
        setattr(rule, name, value)
    rule.answer = _normalise_condition(question, rule.answer)
    _check_condition(question, rule.answer, "answer")
    if not rule.answer.strip():
        raise DomainError(
            CONDITION_CHOICE if question.kind == QuestionKind.CHOICE else CONDITION_YES_NO, field="answer"
        )
    if not (rule.care_channel or rule.modality or rule.urgency):
        raise DomainError(SUGGESTION_REQUIRED, field="care_channel")
    rule.save()
    return rule
