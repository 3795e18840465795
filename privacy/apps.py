from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    """The patient's rights (access, rectification, objection) and the retention of health data: they read and change
    requests, bookings, messages and surveys, so they sit above them; the access log they rely on stays in `audit`,
    low enough for every app to write to it (decision 0003)."""

    name = "privacy"
    verbose_name = "Droits des patients et conservation"
