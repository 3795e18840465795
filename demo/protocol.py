"""A sensible default qualification protocol, loaded into the demo cell (a cell adapts it to its own)."""

from __future__ import annotations

from referrals.models import ProtocolQuestion, ProtocolRule
from territory.models import Cell

# (order, text, kind, choices, red flag, message, [(answer, care_channel, modality, urgency, note), …])
QUESTIONS = [
    (
        1,
        "Douleur thoracique, gêne respiratoire, malaise, déficit neurologique ou saignement important ?",
        "yes_no",
        "",
        "yes",
        "Signes de gravité : appeler le 15 sans attendre",
        [],
    ),
    (
        2,
        "Température (°C)",
        "number",
        "",
        ">=41",
        "Hyperthermie majeure : appeler le 15",
        [(">=39", "", "", "24h", "Fièvre élevée : dans les 24 heures")],
    ),
    (
        3,
        "Âge (ans)",
        "number",
        "",
        "",
        "",
        [("<2", "", "in_person", "24h", "Nourrisson : examen en présentiel sous 24 heures")],
    ),
    (
        4,
        "Besoin principal",
        "choice",
        "Consultation médicale\nImagerie\nKinésithérapie\nSoins infirmiers\nBiologie",
        "",
        "",
        [
            ("Consultation médicale", "gp", "", "", ""),
            ("Imagerie", "imaging", "in_person", "", ""),
            ("Kinésithérapie", "physiotherapy", "in_person", "", ""),
            ("Soins infirmiers", "nursing", "", "", ""),
            ("Biologie", "biology", "in_person", "", ""),
        ],
    ),
    (
        5,
        "Le patient peut-il se déplacer ?",
        "yes_no",
        "",
        "",
        "",
        [("no", "", "home_visit", "", "Ne se déplace pas : visite à domicile ou IDEL")],
    ),
    (
        6,
        "Un examen physique est-il indispensable (auscultation, palpation, otoscopie) ?",
        "yes_no",
        "",
        "",
        "",
        [
            ("no", "", "assisted_teleconsultation", "", "Téléconsultation assistée possible"),
            ("yes", "", "in_person", "", "Examen physique : présentiel ou Médicobus"),
        ],
    ),
    (
        7,
        "Intensité de la douleur (0 à 10)",
        "number",
        "",
        "",
        "",
        [(">=7", "", "", "24h", "Douleur intense : dans les 24 heures")],
    ),
]


def load_demo_protocol(cell: Cell) -> int:
    """Create the default protocol in a cell that has none; returns the number of questions created."""
    if ProtocolQuestion.objects.filter(cell=cell).exists():
        return 0
    for order, text, kind, choices, red_flag, message, rules in QUESTIONS:
        question = ProtocolQuestion.objects.create(
            cell=cell,
            order=order,
            text=text,
            kind=kind,
            choices=choices,
            red_flag=red_flag,
            red_flag_message=message,
        )
        for answer, care_channel, modality, urgency, note in rules:
            ProtocolRule.objects.create(
                question=question,
                answer=answer,
                care_channel=care_channel,
                modality=modality,
                urgency=urgency,
                note=note,
            )
    return len(QUESTIONS)
