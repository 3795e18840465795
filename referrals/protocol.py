"""The cell's qualification protocol, evaluated in plain Python: red flags that stop the flow ("call the 15"), and
rules that suggest a care channel, a modality and an urgency. The coordinator decides; the suggestion only helps."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Question:
    key: str
    text: str
    kind: str  # "yes_no", "choice", "number"
    choices: tuple[str, ...] = ()
    red_flag: str = ""  # yes_no: "yes" or "no"; choice: one of the choices; number: ">N" or "<N"
    red_flag_message: str = ""


@dataclass(frozen=True)
class Rule:
    question: str  # a Question.key
    answer: str  # the same notation as `red_flag`
    care_channel: str = ""
    modality: str = ""
    urgency: str = ""
    note: str = ""


@dataclass
class Outcome:
    red_flags: list[str] = field(default_factory=list)
    care_channel: str = ""
    modality: str = ""
    urgency: str = ""
    reasons: list[str] = field(default_factory=list)

    @property
    def stop(self) -> bool:
        return bool(self.red_flags)


def matches(question: Question, expected: str, answer: str) -> bool:
    """Whether an answer meets a condition: equality for yes/no and choices, '>N' / '<N' / '>=N' / '<=N' for numbers."""
    if not expected or answer == "":
        return False
    if question.kind != "number":
        return answer.strip().casefold() == expected.strip().casefold()
    try:
        value = float(answer.replace(",", "."))
    except ValueError:
        return False
    for operator in (">=", "<=", ">", "<", "="):
        if expected.startswith(operator):
            try:
                bound = float(expected[len(operator) :].replace(",", "."))
            except ValueError:
                return False
            return {
                ">=": value >= bound,
                "<=": value <= bound,
                ">": value > bound,
                "<": value < bound,
                "=": value == bound,
            }[operator]
    return False


def evaluate(questions: Iterable[Question], rules: Iterable[Rule], answers: Mapping[str, str]) -> Outcome:
    """Red flags first (any stops the flow); then the first rule that matches sets each suggestion it carries."""
    by_key = {question.key: question for question in questions}
    outcome = Outcome()
    for question in by_key.values():
        if question.red_flag and matches(question, question.red_flag, answers.get(question.key, "")):
            outcome.red_flags.append(question.red_flag_message or question.text)
    if outcome.stop:
        return outcome
    for rule in rules:
        asked = by_key.get(rule.question)
        if asked is None or not matches(asked, rule.answer, answers.get(rule.question, "")):
            continue
        applied = False
        for name in ("care_channel", "modality", "urgency"):
            value = getattr(rule, name)
            if value and not getattr(outcome, name):
                setattr(outcome, name, value)
                applied = True
        if applied:
            outcome.reasons.append(rule.note or f"{asked.text} → {answers.get(rule.question, '')}")
    return outcome
