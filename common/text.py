"""Text normalisation for searching French names without case, accents or punctuation."""

import re
import unicodedata

_SEPARATORS = re.compile(r"[\s\-'’‐_.,/()]+")
_ABBREVIATIONS = {"st": "saint", "ste": "sainte", "sts": "saints", "stes": "saintes"}


def normalize(value: str) -> str:
    """'Saint-Germain-d’Orne' and 'st germain d orne' both become 'saint germain d orne'."""
    decomposed = unicodedata.normalize("NFKD", value)
    without_accents = "".join(c for c in decomposed if not unicodedata.combining(c))
    words = _SEPARATORS.split(without_accents.casefold().replace("œ", "oe").replace("æ", "ae"))
    return " ".join(_ABBREVIATIONS.get(word, word) for word in words if word)
