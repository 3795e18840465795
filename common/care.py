"""The shared care vocabulary (PRODUCT.md, glossary): what care, which exam, how it is given, how urgent. Requests
(referrals) and slots (agenda) both speak it: it lives below both (decision 0003)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class CareChannel(models.TextChoices):
    """The filière of the care wanted (PRODUCT.md, glossary)."""

    GP = "gp", _("GP consultation")
    IMAGING = "imaging", _("Imaging")
    PHYSIOTHERAPY = "physiotherapy", _("Physiotherapy")
    NURSING = "nursing", _("Nursing")
    BIOLOGY = "biology", _("Biology")


class ExamType(models.TextChoices):
    RADIOGRAPHY = "radiography", _("Radiography")
    CT = "ct", _("CT scan")
    ULTRASOUND = "ultrasound", _("Ultrasound")
    MRI = "mri", _("MRI")


class Modality(models.TextChoices):
    """How the care is given (PRODUCT.md): the agenda's slots carry the same modalities."""

    IN_PERSON = "in_person", _("In person")
    ASSISTED_TELECONSULTATION = "assisted_teleconsultation", _("Assisted teleconsultation")
    MEDICOBUS = "medicobus", _("Médicobus")
    HOME_VISIT = "home_visit", _("Home visit")


class Urgency(models.TextChoices):
    """As the requester sees it. The deadline follows: 24 h, or the 48 h of unscheduled care."""

    WITHIN_24H = "24h", _("Within 24 hours")
    WITHIN_48H = "48h", _("Within 48 hours")
    THIS_WEEK = "week", _("This week")


URGENCY_WEIGHT = {Urgency.WITHIN_24H: 3, Urgency.WITHIN_48H: 2, Urgency.THIS_WEEK: 1}
