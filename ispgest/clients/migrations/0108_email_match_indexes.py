"""Indexes for matching a received e-mail's sender to clients (clients_by_email): contacts by
LOWER(email) on every database, and on PostgreSQL a GIN index on the entries of
"Emails a notificar" (see clients/emailmatch.py)."""

import django.db.models.functions.text
from django.db import migrations, models

from ispgest.clients import emailmatch


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in emailmatch.PG_FORWARD:
            schema_editor.execute(sql, params=None)


def reverse(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in emailmatch.PG_REVERSE:
            schema_editor.execute(sql, params=None)


class Migration(migrations.Migration):

    dependencies = [
        ('clients', '0107_money_and_bank_permissions'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='contact',
            index=models.Index(django.db.models.functions.text.Lower('email'), name='contact_email_ci'),
        ),
        migrations.RunPython(forward, reverse),
    ]
