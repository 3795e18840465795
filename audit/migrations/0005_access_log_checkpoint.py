"""Checkpoints of the access log (where it ended when it last verified intact), append-only like the log."""

from django.db import migrations, models

from audit import guard


def install(apps, schema_editor):
    guard.install_checkpoint_guard(schema_editor)


def remove(apps, schema_editor):
    guard.remove_checkpoint_guard(schema_editor)


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_security_events")]

    operations = [
        migrations.CreateModel(
            name="AccessLogCheckpoint",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("at", models.DateTimeField()),
                ("head_id", models.BigIntegerField()),
                ("head_hash", models.CharField(max_length=64)),
                ("rows", models.PositiveBigIntegerField()),
                ("prev_seal", models.CharField(max_length=64)),
                ("seal", models.CharField(max_length=64, unique=True)),
            ],
            options={
                "verbose_name": "access log checkpoint",
                "verbose_name_plural": "access log checkpoints",
                "ordering": ["id"],
            },
        ),
        migrations.RunPython(install, remove),
    ]
