"""The database refuses UPDATE and DELETE on the access log (see audit/guard.py)."""

from django.db import migrations

from audit import guard


def install(apps, schema_editor):
    guard.install(schema_editor)


def remove(apps, schema_editor):
    guard.remove(schema_editor)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_access_log")]

    operations = [migrations.RunPython(install, remove)]
