"""Invented Annuaire Santé extracts for the tests: the real header (2024 layout, 56 columns), invented people with
fake RPPS numbers (81000…, Luhn-valid unless asked otherwise), written as the ANS writes them (UTF-8, `|`, a trailing
`|`), as a .txt or inside a zip next to the other files of the PS_LibreAcces archive."""

from __future__ import annotations

import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from common.identifiers import luhn_key

HEADER = [
    "Type d'identifiant PP",
    "Identifiant PP",
    "Identification nationale PP",
    "Code civilité d'exercice",
    "Libellé civilité d'exercice",
    "Code civilité",
    "Libellé civilité",
    "Nom d'exercice",
    "Prénom d'exercice",
    "Code profession",
    "Libellé profession",
    "Code catégorie professionnelle",
    "Libellé catégorie professionnelle",
    "Code type savoir-faire",
    "Libellé type savoir-faire",
    "Code savoir-faire",
    "Libellé savoir-faire",
    "Code mode exercice",
    "Libellé mode exercice",
    "Numéro SIRET site",
    "Numéro SIREN site",
    "Numéro FINESS site",
    "Numéro FINESS établissement juridique",
    "Identifiant technique de la structure",
    "Raison sociale site",
    "Enseigne commerciale site",
    "Complément destinataire (coord. structure)",
    "Complément point géographique (coord. structure)",
    "Numéro Voie (coord. structure)",
    "Indice répétition voie (coord. structure)",
    "Code type de voie (coord. structure)",
    "Libellé type de voie (coord. structure)",
    "Libellé Voie (coord. structure)",
    "Mention distribution (coord. structure)",
    "Bureau cedex (coord. structure)",
    "Code postal (coord. structure)",
    "Code commune (coord. structure)",
    "Libellé commune (coord. structure)",
    "Code pays (coord. structure)",
    "Libellé pays (coord. structure)",
    "Téléphone (coord. structure)",
    "Téléphone 2 (coord. structure)",
    "Télécopie (coord. structure)",
    "Adresse e-mail (coord. structure)",
    "Code Département (structure)",
    "Libellé Département (structure)",
    "Ancien identifiant de la structure",
    "Autorité d'enregistrement",
    "Code secteur d'activité",
    "Libellé secteur d'activité",
    "Code section tableau pharmaciens",
    "Libellé section tableau pharmaciens",
    "Code rôle",
    "Libellé rôle",
    "Code genre activité",
    "Libellé genre activité",
]

COMMUNES = {  # INSEE code → (postal code, name as the register writes it)
    "61006": ("61200", "Argentan"),
    "61181": ("61230", "Gacé"),
    "61214": ("61300", "L'Aigle"),
    "61001": ("61000", "Alençon"),
    "14118": ("14000", "Caen"),
    "44043": ("44190", "Clisson"),
}


def fake_rpps(n: int, *, valid_key: bool = True) -> str:
    """An 11-digit RPPS number that no real person has (81000…), with its Luhn key right or wrong."""
    body = f"81000{n:05d}"
    key = luhn_key(body)
    return body + (key if valid_key else str((int(key) + 1) % 10))


def line(
    rpps: str,
    last_name: str,
    first_name: str,
    *,
    commune: str = "61006",
    profession: str = "10",
    skill: str = "SM54",
    skill_label: str = "Médecine générale",
    site: str = "",
    finess: str = "",
    street: str = "RUE DE LA REPUBLIQUE",
    number: str = "12",
    phone: str = "0233000000",
    email: str = "",
    sector: str = "Cabinet individuel",
    id_type: str = "8",
    **overrides: str,
) -> dict[str, str]:
    """One activity line, as a header → value mapping."""
    postal_code, commune_name = COMMUNES.get(commune, ("", ""))
    values = dict.fromkeys(HEADER, "")
    values.update(
        {
            "Type d'identifiant PP": id_type,
            "Identifiant PP": rpps,
            "Identification nationale PP": ("8" if id_type == "8" else "0") + rpps,
            "Code civilité d'exercice": "DR" if profession == "10" else "",
            "Libellé civilité d'exercice": "Docteur" if profession == "10" else "",
            "Nom d'exercice": last_name,
            "Prénom d'exercice": first_name,
            "Code profession": profession,
            "Libellé profession": {"10": "Médecin", "21": "Pharmacien", "60": "Infirmier"}.get(profession, "Autre"),
            "Code catégorie professionnelle": "C",
            "Libellé catégorie professionnelle": "Civil",
            "Code type savoir-faire": "S" if skill else "",
            "Libellé type savoir-faire": "Spécialité ordinale" if skill else "",
            "Code savoir-faire": skill,
            "Libellé savoir-faire": skill_label if skill else "",
            "Code mode exercice": "L",
            "Libellé mode exercice": "Libéral",
            "Numéro FINESS site": finess,
            "Raison sociale site": site or f"CABINET DU DR {last_name}",
            "Numéro Voie (coord. structure)": number,
            "Libellé type de voie (coord. structure)": "Rue" if street else "",
            "Libellé Voie (coord. structure)": street.removeprefix("RUE ") if street else "",
            "Code postal (coord. structure)": postal_code,
            "Code commune (coord. structure)": commune,
            "Libellé commune (coord. structure)": commune_name.upper(),
            "Téléphone (coord. structure)": phone,
            "Adresse e-mail (coord. structure)": email,
            "Code Département (structure)": commune[:2],
            "Autorité d'enregistrement": "CNOM/CNOM/CNOM",
            "Libellé secteur d'activité": sector,
            "Code rôle": "FON-01",
            "Libellé rôle": "Titulaire de cabinet",
            "Code genre activité": "GENR01",
            "Libellé genre activité": "Activité standard de soin ou de pharmacien",
        }
    )
    values.update(overrides)
    return values


def text(rows: Iterable[dict[str, str] | str], *, header: list[str] = HEADER, trailing_pipe: bool = True) -> str:
    """The file's text: the header, then each row (a mapping, or a raw line written as it is)."""
    end = "|" if trailing_pipe else ""
    out = ["|".join(header) + end]
    for row in rows:
        out.append(row if isinstance(row, str) else "|".join(row.get(name, "") for name in header) + end)
    return "\r\n".join(out) + "\r\n"


def write_txt(directory: Path, rows: Iterable[dict[str, str] | str], **kwargs: Any) -> Path:
    path = directory / "PS_LibreAcces_Personne_activite_202611250900.txt"
    path.write_text(text(rows, **kwargs), encoding="utf-8")
    return path


def write_zip(directory: Path, rows: Iterable[dict[str, str] | str], **kwargs: Any) -> Path:
    """The archive as the ANS publishes it: the savoir-faire and diploma files, then the activity file."""
    path = directory / "PS_LibreAcces.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("PS_LibreAcces_Dipl_AutExerc_202611250900.txt", "Type d'identifiant PP|Identifiant PP|\r\n")
        archive.writestr("PS_LibreAcces_SavoirFaire_202611250900.txt", "Type d'identifiant PP|Identifiant PP|\r\n")
        archive.writestr("PS_LibreAcces_Personne_activite_202611250900.txt", text(rows, **kwargs))
    return path
