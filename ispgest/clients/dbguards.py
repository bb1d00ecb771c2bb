"""SQL of the database guards installed by migration clients/0002 (see its docstring).

The SQLite backend of ispgest (core/db/sqlite3) lifts and restores the SQLite triggers around
`flush`, the one administrative purge of a whole database (tests use it between cases).
SQLite drops a table's triggers when a migration rebuilds the table, so clients/apps.py
re-creates them (IF NOT EXISTS) after every migrate.
"""

PG_FORWARD = """
CREATE OR REPLACE FUNCTION ispgest_refuse_client_delete() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'Los clientes no se borran: se desactivan (cliente %).', OLD.id;
END; $$ LANGUAGE plpgsql;
CREATE TRIGGER clients_client_no_delete BEFORE DELETE ON clients_client
    FOR EACH ROW EXECUTE FUNCTION ispgest_refuse_client_delete();

CREATE OR REPLACE FUNCTION ispgest_protect_auto_event() RETURNS trigger AS $$
BEGIN
    IF OLD.kind = 'auto' THEN
        RAISE EXCEPTION 'El historial automático no se puede modificar ni borrar (movimiento %).', OLD.id;
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    IF NEW.kind = 'auto' THEN
        RAISE EXCEPTION 'Un movimiento manual no puede convertirse en automático.';
    END IF;
    RETURN NEW;
END; $$ LANGUAGE plpgsql;
CREATE TRIGGER clients_clientevent_protect BEFORE UPDATE OR DELETE ON clients_clientevent
    FOR EACH ROW EXECUTE FUNCTION ispgest_protect_auto_event();
"""

PG_REVERSE = """
DROP TRIGGER IF EXISTS clients_client_no_delete ON clients_client;
DROP FUNCTION IF EXISTS ispgest_refuse_client_delete();
DROP TRIGGER IF EXISTS clients_clientevent_protect ON clients_clientevent;
DROP FUNCTION IF EXISTS ispgest_protect_auto_event();
"""

SQLITE_FORWARD = [
    """CREATE TRIGGER IF NOT EXISTS clients_client_no_delete BEFORE DELETE ON clients_client
       BEGIN SELECT RAISE(ABORT, 'Los clientes no se borran: se desactivan.'); END;""",
    """CREATE TRIGGER IF NOT EXISTS clients_clientevent_no_update BEFORE UPDATE ON clients_clientevent
       WHEN OLD.kind = 'auto' OR NEW.kind = 'auto'
       BEGIN SELECT RAISE(ABORT, 'El historial automático no se puede modificar.'); END;""",
    """CREATE TRIGGER IF NOT EXISTS clients_clientevent_no_delete BEFORE DELETE ON clients_clientevent
       WHEN OLD.kind = 'auto'
       BEGIN SELECT RAISE(ABORT, 'El historial automático no se puede borrar.'); END;""",
]

SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS clients_client_no_delete;",
    "DROP TRIGGER IF EXISTS clients_clientevent_no_update;",
    "DROP TRIGGER IF EXISTS clients_clientevent_no_delete;",
]


def ensure_sqlite_guards(connection) -> None:
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        for sql in SQLITE_FORWARD:
            cursor.execute(sql)
