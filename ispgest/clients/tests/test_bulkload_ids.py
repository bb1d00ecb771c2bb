"""Ids for rows written through the bulk path beside other writers: `allocate_ids` never
hands out an id another session's insert gets, and never one a row already has."""

import pytest
from django.db import connection, transaction
from django.utils import timezone

from ispgest.clients.models import Client
from ispgest.core.bulk import allocate_ids, column_defaults, columns, write_rows


def _write_client(client_id: int, name: str) -> None:
    row = column_defaults(Client)
    now = timezone.now()
    row.update(id=client_id, name=name, sort_name=name.lower(), created_at=now, updated_at=now)
    cols = columns(Client, with_id=True)
    write_rows(Client, cols, [tuple(row[c] for c in cols)])


@pytest.mark.django_db
def test_allocated_ids_are_never_those_of_rows_inserted_meanwhile():
    with transaction.atomic():
        first = allocate_ids(Client, 5)
        assert len(set(first)) == 5
        if connection.vendor == "postgresql":
            # Another writer (a client added from the form) takes the next id: not one of ours.
            other = Client.objects.create(name="Alta por formulario")
            assert other.pk not in first
        else:
            other = None
        for client_id in first:
            _write_client(client_id, f"Importado {client_id}")
        second = allocate_ids(Client, 3)
        taken = set(first) | ({other.pk} if other else set())
        assert not taken & set(second)
        assert min(second) > max(taken)


@pytest.mark.django_db
def test_a_sequence_left_behind_by_explicit_ids_is_moved_past_them():
    with transaction.atomic():
        existing = Client.objects.create(name="Primero")
        _write_client(existing.pk + 1_000, "Escrito con su id")
        ids = allocate_ids(Client, 4)
        assert min(ids) > existing.pk + 1_000
        for client_id in ids:
            _write_client(client_id, f"Importado {client_id}")
        assert Client.objects.count() == 6


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_sqlite_refuses_and_postgresql_takes_from_the_sequence():
    if connection.vendor == "sqlite":
        with pytest.raises(RuntimeError):
            allocate_ids(Client, 1)
    else:
        first, second = allocate_ids(Client, 2), allocate_ids(Client, 2)
        assert len(set(first + second)) == 4 and min(second) > max(first)
