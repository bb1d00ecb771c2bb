"""Recompute every client's search_text: words with "ñ" also spelled with "n", identifiers
also without punctuation. The side table follows through its triggers.

It runs the model's own search-text rule on historical rows (the rule reads only plain
fields), in batches, and writes only the rows whose text changes.
"""

from django.db import migrations

BATCH = 5000
FIELDS = (
    "name",
    "trade_name",
    "email",
    "document_number",
    "tax_id",
    "custom_id",
    "phone",
    "mobile",
    "search_text",
)


def recompute(apps, schema_editor):
    from ispgest.clients.models import Client as LiveClient

    Client = apps.get_model("clients", "Client")
    connection = schema_editor.connection
    last = 0
    while True:
        rows = list(
            Client.objects.filter(pk__gt=last).order_by("pk").values_list("pk", *FIELDS)[:BATCH]
        )
        if not rows:
            return
        last = rows[-1][0]
        changed = []
        probe = LiveClient()
        for pk, *values in rows:
            for name, value in zip(FIELDS[:-1], values[:-1], strict=True):
                setattr(probe, name, value or "")
            probe.refresh_search_fields()
            if probe.search_text != values[-1]:
                changed.append((probe.search_text, pk))
        if not changed:
            continue
        with connection.cursor() as cur:
            if connection.vendor == "postgresql":
                cur.execute(
                    "UPDATE clients_client c SET search_text = v.t FROM "
                    "unnest(%s::text[], %s::bigint[]) AS v(t, id) WHERE c.id = v.id",
                    [[t for t, _ in changed], [i for _, i in changed]],
                )
            else:
                cur.executemany("UPDATE clients_client SET search_text = %s WHERE id = %s", changed)


class Migration(migrations.Migration):
    dependencies = [("clients", "0103_client_search_side_table")]

    operations = [migrations.RunPython(recompute, migrations.RunPython.noop)]
