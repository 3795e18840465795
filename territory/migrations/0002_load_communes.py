"""Loads the 34,969 French communes shipped in territory/data/communes.csv (see its README for provenance)."""

from django.db import migrations


def load(apps, schema_editor):
    from territory.communes import load_communes

    load_communes(apps.get_model("territory", "Commune"))


def unload(apps, schema_editor):
    apps.get_model("territory", "Commune").objects.filter(territories__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("territory", "0001_initial")]

    operations = [migrations.RunPython(load, unload, elidable=False)]
