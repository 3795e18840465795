"""Find a request (referrals.search): indexes for the most recent first, a phone, a date of birth; on PostgreSQL a
trigram index so that a part of a name (`LIKE '%dupon%'`) is found without reading every request of the cell.

pg_trgm is a trusted extension (PostgreSQL 13+): the database's owner, who migrates, may create it. SQLite has no
such index and reads the names (a small cell's database)."""

from typing import Any

from django.conf import settings
from django.db import migrations, models

TRIGRAM_INDEX = "request_search_name_trgm"


def create_trigram_index(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm", params=None)
    schema_editor.execute(
        f"CREATE INDEX {TRIGRAM_INDEX} ON referrals_request USING gin (patient_search_name gin_trgm_ops)", params=None
    )


def drop_trigram_index(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {TRIGRAM_INDEX}", params=None)  # the extension may serve others


class Migration(migrations.Migration):
    dependencies = [
        ("directory", "0003_patient_facing_names"),
        ("referrals", "0008_debrief_event"),
        ("territory", "0005_patient_facing_names"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="request",
            index=models.Index(fields=["cell", "-received_at"], name="request_search_recent"),
        ),
        migrations.AddIndex(
            model_name="request",
            index=models.Index(fields=["cell", "patient_phone"], name="request_search_phone"),
        ),
        migrations.AddIndex(
            model_name="request",
            index=models.Index(fields=["cell", "patient_birth_date"], name="request_search_birth"),
        ),
        migrations.RunPython(create_trigram_index, drop_trigram_index, elidable=False),
    ]
