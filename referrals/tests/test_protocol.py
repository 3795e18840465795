from hypothesis import given
from hypothesis import strategies as st

from referrals.protocol import Question, Rule, evaluate, matches

CHEST = Question("chest", "Douleur thoracique ?", "yes_no", red_flag="yes", red_flag_message="Appeler le 15")
TRAVEL = Question("travel", "Peut se déplacer ?", "yes_no")
TEMP = Question("temp", "Température (°C)", "number", red_flag=">=41", red_flag_message="Hyperthermie majeure")
KIND = Question("kind", "Type de besoin", "choice", choices=("médical", "soins", "radio"))
RULES = [
    Rule("travel", "no", modality="home_visit", note="Ne se déplace pas : visite"),
    Rule("temp", ">=39", urgency="24h", note="Fièvre élevée"),
    Rule("kind", "radio", care_channel="imaging"),
    Rule("kind", "médical", care_channel="gp", modality="in_person"),
]
QUESTIONS = [CHEST, TRAVEL, TEMP, KIND]


def test_a_red_flag_stops_the_flow_whatever_else_is_answered() -> None:
    outcome = evaluate(QUESTIONS, RULES, {"chest": "yes", "travel": "no", "temp": "39.5"})
    assert outcome.stop and outcome.red_flags == ["Appeler le 15"]
    assert (outcome.modality, outcome.urgency) == ("", "")


def test_rules_suggest_and_the_first_matching_rule_wins_for_each_suggestion() -> None:
    outcome = evaluate(QUESTIONS, RULES, {"chest": "no", "travel": "no", "temp": "39,2", "kind": "médical"})
    assert not outcome.stop
    assert (outcome.care_channel, outcome.modality, outcome.urgency) == ("gp", "home_visit", "24h")
    assert outcome.reasons[:2] == ["Ne se déplace pas : visite", "Fièvre élevée"]


def test_number_conditions() -> None:
    assert matches(TEMP, ">=39", "39")
    assert not matches(TEMP, ">39", "39")
    assert matches(TEMP, "<36", "35,5")
    assert not matches(TEMP, ">=39", "chaud")
    assert not matches(TEMP, ">=39", "")


@given(st.dictionaries(st.sampled_from(["chest", "travel", "temp", "kind"]), st.text(max_size=6)))
def test_any_answers_give_either_a_stop_without_suggestion_or_suggestions_from_the_rules(answers: dict) -> None:
    outcome = evaluate(QUESTIONS, RULES, answers)
    if outcome.stop:
        assert (outcome.care_channel, outcome.modality, outcome.urgency) == ("", "", "")
    assert outcome.care_channel in ("", "gp", "imaging")
    assert outcome.modality in ("", "home_visit", "in_person")
    assert outcome.urgency in ("", "24h")
