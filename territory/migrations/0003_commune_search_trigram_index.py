"""On PostgreSQL, trigram indexes make the commune search (`LIKE '%…%'` on the name and the postal codes) index
scans.

pg_trgm is a trusted extension (PostgreSQL 13+): the database owner may create it. SQLite has no such index and keeps
scanning its 35,000 rows, which is fast enough for the demo.
"""

from django.db import migrations


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS territory_commune_search_trgm "
        "ON territory_commune USING gin (search_name gin_trgm_ops)"
    )
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS territory_commune_postal_codes_trgm "
        "ON territory_commune USING gin (postal_codes gin_trgm_ops)"
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS territory_commune_search_trgm")
    schema_editor.execute("DROP INDEX IF EXISTS territory_commune_postal_codes_trgm")


class Migration(migrations.Migration):
    dependencies = [("territory", "0002_load_communes")]

    operations = [migrations.RunPython(create, drop)]
