"""Indexes for the dashboard's system figures (failures of the last 24 h), on tables of
other apps: the task queue's results (django-tasks-db) and the e-mail log. Partial, so
they hold only failures and cost the millions of successful rows nothing."""

from django.db import migrations

INDEXES = [
    (
        "ops_taskresult_failed_idx",
        "django_tasks_database_dbtaskresult",
        "finished_at",
        "status = 'FAILED'",
    ),
    ("ops_email_failed_idx", "messaging_emailmessage", "created_at", "status = 'failed'"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("ops", "0001_scheduler"),
        ("django_tasks_database", "0021_conditional_partial_index_ordering"),
        ("messaging", "0002_email_related"),
    ]

    operations = [
        migrations.RunSQL(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({column}) WHERE {where}",
            f"DROP INDEX IF EXISTS {name}",
        )
        for name, table, column, where in INDEXES
    ]
