"""ClientSearch: the quick search's text and indexes move to a narrow side table.

See clients/searchsync.py (the triggers) and docs/search.md ("Design").
"""

import django.db.models.deletion
from django.db import migrations, models

from ispgest.clients import searchsync

PG_COLLATE = (
    f'ALTER TABLE {searchsync.TABLE} ALTER COLUMN sort_name TYPE varchar(255) COLLATE "C"'
)
PG_INDEXES = [
    "SET LOCAL maintenance_work_mem = '256MB'",
    f"CREATE INDEX IF NOT EXISTS {searchsync.TRIGRAM_INDEX} ON {searchsync.TABLE} "
    "USING gin (search_text gin_trgm_ops)",
    f"CREATE INDEX IF NOT EXISTS {searchsync.COVER_INDEX} ON {searchsync.TABLE} "
    "(sort_name, client_id) INCLUDE (status, search_text)",
    f"ANALYZE {searchsync.TABLE}",
    "DROP INDEX IF EXISTS client_sort_cover",
    "DROP INDEX IF EXISTS client_search_trgm",
]
PG_INDEXES_REVERSE = [
    "CREATE INDEX IF NOT EXISTS client_search_trgm ON clients_client "
    "USING gin (search_text gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS client_sort_cover ON clients_client "
    "(sort_name, id) INCLUDE (status, search_text)",
]


def forward(apps, schema_editor):
    """Triggers first, then the copy of the existing clients, then (PostgreSQL) the search
    indexes move from clients_client to the side table."""
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_COLLATE, params=None)
        for sql in searchsync.PG_FORWARD:
            schema_editor.execute(sql, params=None)
        schema_editor.execute(searchsync.SYNC_MISSING_SQL, params=None)
        for sql in PG_INDEXES:
            schema_editor.execute(sql, params=None)
    elif vendor == "sqlite":
        for sql in searchsync.SQLITE_FORWARD:
            schema_editor.execute(sql)
        schema_editor.execute(searchsync.SYNC_MISSING_SQL)


def reverse(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        for sql in PG_INDEXES_REVERSE:
            schema_editor.execute(sql, params=None)
        for sql in searchsync.PG_REVERSE:
            schema_editor.execute(sql, params=None)
    elif vendor == "sqlite":
        for sql in searchsync.SQLITE_REVERSE:
            schema_editor.execute(sql)


class Migration(migrations.Migration):

    dependencies = [
        ('clients', '0102_drop_low_value_fk_indexes'),
    ]

    operations = [
        migrations.CreateModel(
            name='ClientSearch',
            fields=[
                ('client', models.OneToOneField(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, primary_key=True, related_name='search_row', serialize=False, to='clients.client')),
                ('status', models.CharField(max_length=10)),
                ('sort_name', models.CharField(max_length=255)),
                ('search_text', models.TextField()),
            ],
            options={
                'verbose_name': 'Búsqueda de cliente',
                'default_permissions': (),
            },
        ),
        migrations.RunPython(forward, reverse),
    ]
