"""Django's SQLite backend, with `flush` able to purge the tables that triggers guard.

Clients and automatic history rows are protected from DELETE by triggers. `flush` (an
explicit wipe of every table, used by the test runner between transactional tests) drops
those triggers, deletes, and creates them again in the same statement list.
"""

from django.db.backends.sqlite3 import base, operations

from ispgest.clients.dbguards import SQLITE_FORWARD, SQLITE_REVERSE


class DatabaseOperations(operations.DatabaseOperations):
    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        statements = super().sql_flush(
            style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
        )
        if not statements or "clients_client" not in tables:
            return statements
        return [*SQLITE_REVERSE, *statements, *SQLITE_FORWARD]


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations
