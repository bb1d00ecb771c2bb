r"""The PostgreSQL index that finds a client by one of its "Emails a notificar".

`Client.notify_emails` is one text column, "a@x.com,b@y.com" (clients/validation.py,
`parse_notify_emails`). A sender matches an entry only whole: "ana@x.com" is not
"juana@x.com", so a substring search (`LIKE`, trigram) would need a recheck and a
sequential scan. `ENTRIES` turns the column into the array of its entries, lower-cased,
with blanks around commas and at both ends removed (a value written outside
`parse_notify_emails` still matches as the entry-wise strip/lower would), and a GIN index
on that expression answers `ENTRIES @> ARRAY[address]`. The planner uses an expression
index only for a query that repeats the expression, so `MATCH_SQL` is built from the same
`ENTRIES`. The index is partial (`WHERE notify_emails <> ''`; most clients have none),
and `MATCH_SQL` repeats that condition too.

SQLite has no arrays: there `clients.selectors.clients_by_email` filters with
`icontains` and compares the entries in Python.
"""

INDEX = "client_notify_emails_gin"

ENTRIES = (
    r"regexp_split_to_array(regexp_replace(lower(notify_emails), '^\s+|\s+$', '', 'g'), "
    r"'\s*,\s*')"
)
CONDITION = "notify_emails <> ''"

# One parameter: the address, already stripped and lower-cased.
MATCH_SQL = f"{CONDITION} AND {ENTRIES} @> ARRAY[%s]::text[]"

PG_FORWARD = [
    f"CREATE INDEX IF NOT EXISTS {INDEX} ON clients_client USING gin (({ENTRIES})) "
    f"WHERE {CONDITION}",
    "ANALYZE clients_client",
]
PG_REVERSE = [f"DROP INDEX IF EXISTS {INDEX}"]
