"""Indexes the advanced search's capped count needs on PostgreSQL (read the bench plans):

- a partial index of active client ids: the count walks clients in id order merging with the
  filters, and without it each of those rows is a heap fetch just to read `status`;
- contracts (zone_id, plan_id, client_id): "clients with a contract in zone Z on plan P" as an
  index-only scan in client order, instead of filtering every contract of each client.
  It lives on the contracts table but serves only the client search, hence here.

Nothing happens on SQLite.
"""

from django.db import migrations

PG_FORWARD = [
    "CREATE INDEX IF NOT EXISTS client_active_id ON clients_client (id) "
    "WHERE status = 'active'",
    "CREATE INDEX IF NOT EXISTS contract_search_zone_plan ON contracts_contract "
    "(zone_id, plan_id, client_id)",
]
PG_REVERSE = [
    "DROP INDEX IF EXISTS contract_search_zone_plan",
    "DROP INDEX IF EXISTS client_active_id",
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in PG_FORWARD:
            schema_editor.execute(sql, params=None)


def reverse(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in PG_REVERSE:
            schema_editor.execute(sql, params=None)


class Migration(migrations.Migration):
    dependencies = [("clients", "0100_search_indexes"), ("contracts", "0001_initial")]
    operations = [migrations.RunPython(forward, reverse)]
