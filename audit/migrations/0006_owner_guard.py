"""PostgreSQL: only the log's owner deletes, through the purge function; the setting alone no longer opens the
trigger (issue 18). The reverse restores 0002's trigger function and drops the purge function."""

from django.db import migrations

from audit import guard


def install(apps, schema_editor):
    guard.install_owner_guard(schema_editor)


def remove(apps, schema_editor):
    guard.remove_owner_guard(schema_editor)


class Migration(migrations.Migration):
    dependencies = [("audit", "0005_access_log_checkpoint")]

    operations = [migrations.RunPython(install, remove)]
