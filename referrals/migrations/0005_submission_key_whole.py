"""Submission keys stored whole: the SHA-256 of the sender and of their key, where the raw text was cut to 64
characters (two keys differing only at their end returned the first request: the second patient was lost).

A stored key that was never cut is "<sender>:<key>": its hash is exactly what the service now stores, so a retry of a
submission sent before the upgrade still finds its request. The reverse keeps the hashes (they are still unique and
64 characters long); only a retry across a downgrade would then create a second request, flagged as a duplicate."""

import hashlib

from django.db import migrations, models


def hash_keys(apps, schema_editor):
    Request = apps.get_model("referrals", "Request")
    for pk, key in Request.objects.exclude(submission_key="").values_list("pk", "submission_key").iterator():
        Request.objects.filter(pk=pk).update(submission_key=hashlib.sha256(key.encode()).hexdigest())


class Migration(migrations.Migration):
    dependencies = [
        ("referrals", "0004_request_anonymised_at"),
    ]

    operations = [
        migrations.AddField(
            model_name="request",
            name="submission_fingerprint",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.RunPython(hash_keys, migrations.RunPython.noop, elidable=False),
    ]
