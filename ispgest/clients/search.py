"""Client list reads: quick search, advanced filters, sorting, keyset pagination, capped counts.

Everything starts from `visible_clients(user)` (a Vendedor sees only its seller's clients).

Quick search ("Búsqueda rápida") matches every word of the query, folded with
`core.text.fold()` (lower-case, accent-less, "ñ" distinct, but found by "n" too), as a substring of
`Client.search_text` (name, trade name, e-mail, document, tax id, custom id, phones).

On PostgreSQL the GIN trigram index over search_text and the covering name btree live on the
narrow side table `ClientSearch` (migration 0103, kept by triggers), not on clients_client, so
that updates of other client columns never write them. Quick searches without other filters
read the side table alone and then load the page's clients by id; with other filters (or a
Vendedor's scope) they join it to clients_client. Neither plan is good for every word, and the planner cannot tell which one
applies because it estimates `LIKE '%word%'` from the word's length, not from how common it is.
So the search picks the plan itself, from the capped count it shows anyway:

- the count ("N resultados" / "más de 1000") runs on the trigram index only (bitmap scan) and
  stops at 1001 matches, so it is cheap for rare and common words alike;
- a *rare* query (at most 1000 matches) reads the page from the trigram index too: all matches
  are fetched by bitmap and sorted, at most 1000 rows;
- a *common* query (more than 1000 matches, or a word shorter than three letters, which
  trigrams cannot narrow) walks the name order and filters as it goes: with at least one match
  per thousand rows a page of 25 is found after a few thousand index entries, read from the
  covering index without touching the table.

The plan is chosen with `SET LOCAL enable_*` inside a short transaction (see `_planner`).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from django import forms
from django.core.exceptions import EmptyResultSet, ValidationError
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ispgest.catalog.models import (
    BillingEntity,
    City,
    Collector,
    Neighbourhood,
    PaymentGateway,
    PaymentMethod,
    Region,
    Seller,
    TaxCondition,
    Zone,
)
from ispgest.clients import registry
from ispgest.clients.models import (
    Client,
    ClientSearch,
    GatewayAccount,
    PersonType,
    compact_id,
    looks_like_id,
)
from ispgest.clients.scoping import visible_clients
from ispgest.core.forms import DateInput, StyledFormMixin
from ispgest.core.text import fold
from ispgest.core.visibility import can_view_money

PAGE_SIZE = 25
PAGE_SIZES = (25, 50, 100)  # the list's page-size choice
COUNT_CAP = 1000
MAX_QUERY_WORDS = 6
# Filters that reveal amounts or debt: only for users who see money (core.visibility).
MONEY_FILTERS = ("unpaid", "unpaid_above", "overdue", "wallet")

# sort key -> the model fields of the keyset (always ending in the primary key).
SORTS: dict[str, tuple[str, ...]] = {
    "name": ("sort_name", "id"),
    "-name": ("-sort_name", "-id"),
    "id": ("id",),
    "-id": ("-id",),
    "created": ("created_at", "id"),
    "-created": ("-created_at", "-id"),
}
SORT_CHOICES = [
    ("name", _("Nombre (A-Z)")),
    ("-name", _("Nombre (Z-A)")),
    ("id", _("ID (ascendente)")),
    ("-id", _("ID (descendente)")),
    ("created", _("Creado el (más antiguos)")),
    ("-created", _("Creado el (más recientes)")),
]


class StatusChoice:
    ACTIVE = "active"
    INACTIVE = "inactive"
    ALL = "all"
    choices = [(ACTIVE, _("Activos")), (INACTIVE, _("Inactivos")), (ALL, _("Todos"))]


class YesNo:
    choices = [("", _("Indistinto")), ("yes", _("Sí")), ("no", _("No"))]


class ClientFilterForm(StyledFormMixin, forms.Form):
    """Every filter of the client list; the state lives in the URL (GET) so it bookmarks.

    Given a `user` who does not see money, the money filters are not fields of the form: they
    are neither shown nor read from the data.
    """

    q = forms.CharField(label=_("Búsqueda rápida"), required=False, max_length=100)
    status = forms.ChoiceField(
        label=_("Estado"), choices=StatusChoice.choices, required=False, initial="active"
    )
    # Cliente
    id = forms.IntegerField(label=_("ID cliente"), required=False, min_value=1)
    custom_id = forms.CharField(label=_("ID Cliente Personalizable"), required=False)
    collector = forms.ModelChoiceField(
        label=_("Recaudador"), queryset=Collector.objects.all(), required=False
    )
    seller = forms.ModelChoiceField(
        label=_("Vendedor"), queryset=Seller.objects.all(), required=False
    )
    neighbourhood = forms.ModelChoiceField(
        label=_("Barrio"), queryset=Neighbourhood.objects.all(), required=False
    )
    zone = forms.ModelChoiceField(label=_("Zona"), queryset=Zone.objects.all(), required=False)
    city = forms.ModelChoiceField(label=_("Ciudad"), queryset=City.objects.all(), required=False)
    region = forms.ModelChoiceField(
        label=_("Provincia/Estado/Región"), queryset=Region.objects.all(), required=False
    )
    person_type = forms.ChoiceField(
        label=_("Tipo de persona"),
        choices=[("", _("Indistinto")), *PersonType.choices],
        required=False,
    )
    created_from = forms.DateField(label=_("Creado desde"), required=False, widget=DateInput)
    created_to = forms.DateField(label=_("Creado hasta"), required=False, widget=DateInput)
    deactivated_from = forms.DateField(
        label=_("Desactivado desde"), required=False, widget=DateInput
    )
    deactivated_to = forms.DateField(label=_("Desactivado hasta"), required=False, widget=DateInput)
    # Contrato
    contract_zone = forms.ModelChoiceField(
        label=_("Cobertura / zona del contrato"), queryset=Zone.objects.all(), required=False
    )
    plan = forms.ModelChoiceField(label=_("Plan"), queryset=Zone.objects.none(), required=False)
    router = forms.ModelChoiceField(
        label=_("Router / servidor"), queryset=Zone.objects.none(), required=False
    )
    contract_status = forms.ChoiceField(
        label=_("Estado del contrato"), choices=[("", _("Indistinto"))], required=False
    )
    # Facturación
    billing_entity = forms.ModelChoiceField(
        label=_("Razón social"), queryset=BillingEntity.objects.all(), required=False
    )
    payment_method = forms.ModelChoiceField(
        label=_("Forma de pago"), queryset=PaymentMethod.objects.all(), required=False
    )
    billing_enabled = forms.ChoiceField(
        label=_("Facturación habilitada"), choices=YesNo.choices, required=False
    )
    tax_condition = forms.ModelChoiceField(
        label=_("Condición de IVA"), queryset=TaxCondition.objects.all(), required=False
    )
    unpaid = forms.BooleanField(label=_("Con facturas impagas"), required=False)
    overdue = forms.BooleanField(label=_("Con facturas vencidas"), required=False)
    wallet = forms.BooleanField(label=_("Con saldo en el monedero"), required=False)
    unpaid_above = forms.DecimalField(
        label=_("Balance impago mayor que"),
        required=False,
        min_value=0,
        max_digits=14,
        decimal_places=2,
    )
    # Pasarelas de pago
    gateway = forms.ModelChoiceField(
        label=_("Pasarela de pago"), queryset=PaymentGateway.objects.all(), required=False
    )
    sort = forms.ChoiceField(label=_("Ordenar por"), choices=SORT_CHOICES, required=False)
    per_page = forms.TypedChoiceField(
        label=_("Clientes por página"),
        choices=[(n, str(n)) for n in PAGE_SIZES],
        coerce=int,
        required=False,
        empty_value=PAGE_SIZE,
    )

    CLIENT_FIELDS = (
        "id",
        "custom_id",
        "collector",
        "seller",
        "neighbourhood",
        "zone",
        "city",
        "region",
        "person_type",
        "created_from",
        "created_to",
        "deactivated_from",
        "deactivated_to",
    )
    CONTRACT_FIELDS = ("contract_zone", "plan", "router", "contract_status")
    BILLING_FIELDS = (
        "billing_entity",
        "payment_method",
        "billing_enabled",
        "tax_condition",
        "unpaid",
        "unpaid_above",
        "overdue",
        "wallet",
    )
    GATEWAY_FIELDS = ("gateway",)
    ADVANCED_FIELDS = CLIENT_FIELDS + CONTRACT_FIELDS + BILLING_FIELDS + GATEWAY_FIELDS

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if user is not None and not can_view_money(user):
            for name in MONEY_FILTERS:
                del self.fields[name]
        contracts = registry.contracts()
        if contracts is not None:
            self.fields["plan"].queryset = contracts.plans()
            self.fields["router"].queryset = contracts.routers()
            self.fields["contract_status"].choices = [
                ("", _("Indistinto")),
                *contracts.statuses(),
            ]
        for name in ("id", "unpaid_above"):
            if name not in self.fields:
                continue
            # A plain text box: a letter gets the form's Spanish message, not the browser's.
            self.fields[name].widget.input_type = "text"
            self.fields[name].widget.attrs["inputmode"] = "decimal"
        self.fields["q"].widget.attrs.update(
            {
                "type": "search",
                "autocomplete": "off",
                "placeholder": _("Nombre, e-mail, documento, teléfono..."),
            }
        )

    def clean(self):
        data = super().clean()
        start, end = data.get("created_from"), data.get("created_to")
        if start and end and start > end:
            self.add_error("created_to", _("La fecha final es anterior a la inicial."))
        start, end = data.get("deactivated_from"), data.get("deactivated_to")
        if start and end and start > end:
            self.add_error("deactivated_to", _("La fecha final es anterior a la inicial."))
        return data

    @property
    def advanced_used(self) -> bool:
        if not self.is_bound:
            return False
        return any(
            self.data.get(name) not in (None, "")
            for name in self.ADVANCED_FIELDS
            if name in self.fields
        )


def filters_for(user, data: dict) -> dict:
    """The filter data `user` may apply: without the money filters for a user who does not
    see money, so that a crafted query string cannot sort clients by debt."""
    if can_view_money(user):
        return data
    return {k: v for k, v in data.items() if k not in MONEY_FILTERS}


def query_words(text: str) -> list[str]:
    """The folded words of a quick search (at most MAX_QUERY_WORDS); identifiers typed with
    their punctuation ("20-12345678-6") are compacted as search_text keeps them."""
    words = [compact_id(w) if looks_like_id(w) else w for w in fold(text).split() if w]
    return words[:MAX_QUERY_WORDS]


def apply_filters(qs: QuerySet[Client], data: dict) -> QuerySet[Client]:
    """Narrow `qs` by the cleaned data of ClientFilterForm (the quick search words excluded)."""
    status = data.get("status") or StatusChoice.ACTIVE
    if status != StatusChoice.ALL:
        qs = qs.filter(status=status)
    if data.get("id"):
        qs = qs.filter(pk=data["id"])
    if data.get("custom_id"):
        qs = qs.filter(custom_id=data["custom_id"].strip())
    for name in ("collector", "seller", "neighbourhood", "zone", "city", "region"):
        if data.get(name) is not None:
            qs = qs.filter(**{name: data[name]})
    if data.get("person_type"):
        qs = qs.filter(person_type=data["person_type"])
    tz = timezone.get_current_timezone()
    if data.get("created_from"):
        start = datetime.combine(data["created_from"], datetime.min.time(), tzinfo=tz)
        qs = qs.filter(created_at__gte=start)
    if data.get("created_to"):
        end = datetime.combine(data["created_to"], datetime.max.time(), tzinfo=tz)
        qs = qs.filter(created_at__lte=end)
    if data.get("deactivated_from"):
        start = datetime.combine(data["deactivated_from"], datetime.min.time(), tzinfo=tz)
        qs = qs.filter(deactivated_at__gte=start)
    if data.get("deactivated_to"):
        end = datetime.combine(data["deactivated_to"], datetime.max.time(), tzinfo=tz)
        qs = qs.filter(deactivated_at__lte=end)

    contract_q = {}
    if data.get("contract_zone") is not None:
        contract_q["zone"] = data["contract_zone"]
    if data.get("plan") is not None:
        contract_q["plan"] = data["plan"]
    if data.get("router") is not None:
        contract_q["router"] = data["router"]
    if data.get("contract_status"):
        contract_q["status"] = data["contract_status"]
    contracts = registry.contracts()
    if contract_q and contracts is not None:
        # One contract must meet every contract condition (zone AND plan on the same service).
        qs = qs.filter(Exists(contracts.matching(contract_q).filter(client=OuterRef("pk"))))

    for name in ("billing_entity", "payment_method", "tax_condition"):
        if data.get(name) is not None:
            qs = qs.filter(**{name: data[name]})
    if data.get("billing_enabled") == "yes":
        qs = qs.filter(billing_enabled=True)
    elif data.get("billing_enabled") == "no":
        qs = qs.filter(billing_enabled=False)
    if data.get("unpaid"):
        qs = qs.filter(balance__unpaid_count__gt=0)
    if data.get("unpaid_above") is not None:
        qs = qs.filter(balance__unpaid_total__gt=data["unpaid_above"])
    if data.get("overdue"):
        qs = qs.filter(pk__in=_overdue_client_ids())
    if data.get("wallet"):
        qs = qs.filter(balance__wallet_balance__gt=0)
    if data.get("gateway") is not None:
        qs = qs.filter(
            Exists(GatewayAccount.objects.filter(client=OuterRef("pk"), gateway=data["gateway"]))
        )
    return qs


def _overdue_client_ids():
    """Clients with an unpaid invoice past its due date (billing's, through clients.registry:
    clients sits below billing)."""
    billing = registry.billing()
    if billing is None:
        return Client.objects.none().values("pk")
    return billing.overdue_client_ids()


def _trigram_words(words: list[str]) -> bool:
    return bool(words) and all(len(w) >= 3 for w in words)


def apply_quick_search(qs: QuerySet[Client], words: list[str]) -> QuerySet[Client]:
    """Every word as a substring of the folded search text. On PostgreSQL words of 3+ letters
    are matched on the side table's copy (ClientSearch), where the trigram index is; shorter
    words (an ordered walk, no index) and SQLite read the client's own column."""
    field = "search_text"
    if connection.vendor == "postgresql" and _trigram_words(words):
        field = "search_row__search_text"
    for word in words:
        qs = qs.filter(**{f"{field}__contains": word})
    return qs


def _side_search(status: str, words: list[str]) -> QuerySet[ClientSearch]:
    """The side table's rows with `status` (or any, for ALL) whose text has every word."""
    side = ClientSearch.objects.all()
    if status != StatusChoice.ALL:
        side = side.filter(status=status)
    for word in words:
        side = side.filter(search_text__contains=word)
    return side


def _side_keys(keys: tuple[str, ...]) -> tuple[str, ...] | None:
    """The sort keys on the side table (its primary key is the client id), or None when the
    order needs a column it does not have (created_at)."""
    out = []
    for key in keys:
        name = key.lstrip("-")
        if name not in ("sort_name", "id"):
            return None
        out.append(key.replace("id", "pk") if name == "id" else key)
    return tuple(out)


def _status_only(base: QuerySet[Client], data: dict) -> str | None:
    """The status filter when `base` filters on nothing else (no advanced filter, no seller
    scope): then the side table alone answers the quick search. None otherwise."""
    status = data.get("status") or StatusChoice.ACTIVE
    plain = apply_filters(Client.objects.all(), {"status": status})
    try:
        return status if str(base.query) == str(plain.query) else None
    except EmptyResultSet:
        return None


# --- keyset pagination -------------------------------------------------------------------


class CursorError(ValidationError):
    pass


def _key_values(client: Client, keys: tuple[str, ...]) -> list:
    out = []
    for key in keys:
        value = getattr(client, key.lstrip("-"))
        out.append(value.isoformat() if isinstance(value, datetime) else value)
    return out


def encode_cursor(values: list) -> str:
    raw = json.dumps(values, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(token: str, keys: tuple[str, ...]) -> list:
    message = _("El cursor de paginación no es válido; vuelva a la primera página.")
    try:
        padded = token + "=" * (-len(token) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise CursorError(message, code="cursor")
    if not isinstance(values, list) or len(values) != len(keys):
        raise CursorError(message, code="cursor")
    out = []
    for key, value in zip(keys, values, strict=True):
        name = key.lstrip("-")
        if name == "id" and (not isinstance(value, int) or isinstance(value, bool)):
            raise CursorError(message, code="cursor")
        if name == "sort_name" and not isinstance(value, str):
            raise CursorError(message, code="cursor")
        if name == "created_at":
            try:
                value = datetime.fromisoformat(value)
            except (TypeError, ValueError):
                raise CursorError(message, code="cursor")
            if timezone.is_naive(value):
                raise CursorError(message, code="cursor")
        out.append(value)
    return out


def _after(keys: tuple[str, ...], values: list, *, reverse: bool = False) -> Q:
    """Rows strictly after `values` in the order `keys` (or before it when reverse)."""
    condition = Q()
    for i in range(len(keys) - 1, -1, -1):
        name = keys[i].lstrip("-")
        descending = keys[i].startswith("-") != reverse
        op = "lt" if descending else "gt"
        strict = Q(**{f"{name}__{op}": values[i]})
        condition = strict if i == len(keys) - 1 else strict | (Q(**{name: values[i]}) & condition)
    # A leading non-strict bound lets the index range start at the cursor (the OR above
    # alone is read as a filter by some planners).
    first = keys[0].lstrip("-")
    descending = keys[0].startswith("-") != reverse
    return Q(**{f"{first}__{'lte' if descending else 'gte'}": values[0]}) & condition


def _reverse_keys(keys: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(k[1:] if k.startswith("-") else f"-{k}" for k in keys)


# --- planner control on PostgreSQL ----------------------------------------------------------

_BITMAP_ONLY = ("enable_seqscan", "enable_indexscan", "enable_indexonlyscan")
_ORDERED_WALK = ("enable_bitmapscan", "enable_seqscan", "enable_sort")


@contextmanager
def _planner(disabled: tuple[str, ...]) -> Iterator[None]:
    if connection.vendor != "postgresql" or not disabled:
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            for setting in disabled:
                cursor.execute(f"SET LOCAL {setting} = off")
        yield


# --- the search ------------------------------------------------------------------------------


@dataclass
class SearchResult:
    rows: list[Client]
    count: int  # capped at COUNT_CAP + 1
    next_cursor: str = ""
    prev_cursor: str = ""
    sort: str = "name"
    words: list[str] = field(default_factory=list)
    # True when a very common word made the page the first matches found, in order,
    # rather than the first in the whole order (the page says to narrow the search).
    approximate: bool = False

    @property
    def count_capped(self) -> bool:
        return self.count > COUNT_CAP

    @property
    def count_label(self) -> str:
        if self.count_capped:
            return f"más de {COUNT_CAP}"
        return str(self.count)


def filtered_clients(user, data: dict) -> QuerySet[Client]:
    """Every client the user may see that meets the cleaned filter data (no ordering)."""
    data = filters_for(user, data)
    qs = apply_filters(visible_clients(user), data)
    return apply_quick_search(qs, query_words(data.get("q") or ""))


def capped_count(qs: QuerySet[Client], words: list[str]) -> int:
    """The number of matches, counted up to COUNT_CAP + 1 ("más de 1000")."""
    with _planner(_BITMAP_ONLY if _trigram_words(words) else ()):
        return qs.order_by().values("pk")[: COUNT_CAP + 1].count()


def search_clients(
    user,
    data: dict,
    *,
    after: str = "",
    before: str = "",
    page_size: int = PAGE_SIZE,
    with_count: bool = True,
) -> SearchResult:
    """One page of the client list for `user` and the cleaned ClientFilterForm data.

    Raises CursorError for a malformed cursor.
    """
    data = filters_for(user, data)
    sort = data.get("sort") or "name"
    keys = SORTS.get(sort, SORTS["name"])
    words = query_words(data.get("q") or "")
    base = apply_filters(visible_clients(user), data)
    qs = apply_quick_search(base, words)
    if _trigram_words(words) and connection.vendor == "postgresql" and not before:
        side_keys = _side_keys(keys)
        status = _status_only(base, data) if side_keys else None
        if status is not None:
            return _side_page(status, words, keys, side_keys, sort, after, page_size)
        return _trigram_page(base, qs, words, keys, sort, after, page_size)
    count = capped_count(qs, words) if with_count or words else -1

    order = keys
    if before:
        order = _reverse_keys(keys)
        qs = qs.filter(_after(keys, decode_cursor(before, keys), reverse=True))
    elif after:
        qs = qs.filter(_after(keys, decode_cursor(after, keys)))
    page_qs = _with_related(qs).order_by(*order)
    with _planner(_ORDERED_WALK if words and connection.vendor == "postgresql" else ()):
        rows = list(page_qs[: page_size + 1])
    has_more = len(rows) > page_size
    rows = rows[:page_size]
    if before:
        rows.reverse()
    result = SearchResult(rows=rows, count=count, sort=sort, words=words)
    if rows:
        first, last = _key_values(rows[0], keys), _key_values(rows[-1], keys)
        if before:
            result.next_cursor = encode_cursor(last)
            result.prev_cursor = encode_cursor(first) if has_more else ""
        else:
            result.next_cursor = encode_cursor(last) if has_more else ""
            result.prev_cursor = encode_cursor(first) if after else ""
    return result


def _with_related(qs: QuerySet[Client]) -> QuerySet[Client]:
    return qs.select_related("zone", "seller", "collector", "city", "balance")


WALK_BUDGET = 4000


def _side_page(status, words, keys, side_keys, sort, after, page_size) -> SearchResult:
    """PostgreSQL quick search with words of 3+ letters and no filter but the status: the
    same two paths as `_trigram_page`, read from the side table (ClientSearch) alone, then
    the page's clients loaded by id."""
    names = [k.lstrip("-") for k in side_keys]
    cursor_q = _after(side_keys, decode_cursor(after, keys)) if after else Q()
    matches = _side_search(status, words)
    with _planner(_BITMAP_ONLY):
        sample = list(matches.filter(cursor_q).order_by().values_list(*names)[: COUNT_CAP + 1])
    if after:
        with _planner(_BITMAP_ONLY):
            total = matches.order_by().values("pk")[: COUNT_CAP + 1].count()
    else:
        total = len(sample)
    descending = keys[0].startswith("-")
    approximate = False
    if len(sample) <= COUNT_CAP:
        sample.sort(reverse=descending)
        ids = [row[-1] for row in sample[: page_size + 1]]
    else:
        # The ordered walk, index-only on the side table's covering (sort_name, client_id)
        # INCLUDE (status, search_text) index.
        with _planner(_ORDERED_WALK):
            window = (
                _side_search(status, [])
                .filter(cursor_q)
                .order_by(*side_keys)
                .values_list("pk", "search_text")
            )
            ids = [pk for pk, text in window[:WALK_BUDGET] if all(word in text for word in words)][
                : page_size + 1
            ]
        if len(ids) <= page_size:
            approximate = True
            sample.sort(reverse=descending)
            ids = [row[-1] for row in sample[: page_size + 1]]
    return _page_by_ids(ids, keys, sort, words, total, approximate, page_size)


def _page_by_ids(ids, keys, sort, words, total, approximate, page_size) -> SearchResult:
    has_more = len(ids) > page_size
    ids = ids[:page_size]
    by_id = {c.pk: c for c in _with_related(Client.objects.filter(pk__in=ids))}
    rows = [by_id[i] for i in ids if i in by_id]
    result = SearchResult(rows=rows, count=total, sort=sort, words=words, approximate=approximate)
    if rows and has_more:
        result.next_cursor = encode_cursor(_key_values(rows[-1], keys))
    return result


def _trigram_page(base, qs, words, keys, sort, after, page_size) -> SearchResult:
    """PostgreSQL quick search with words of 3+ letters (see the module docstring), with
    filters on client columns: the trigram match joins the side table."""
    names = [k.lstrip("-") for k in keys]
    cursor_q = _after(keys, decode_cursor(after, keys)) if after else Q()
    # Up to COUNT_CAP + 1 matches after the cursor, found through the trigram index alone.
    with _planner(_BITMAP_ONLY):
        sample = list(qs.filter(cursor_q).order_by().values_list(*names)[: COUNT_CAP + 1])
    total = capped_count(qs, words) if after else len(sample)
    descending = keys[0].startswith("-")
    approximate = False
    if len(sample) <= COUNT_CAP:
        # Every match after the cursor is in the sample: the page is exact.
        sample.sort(reverse=descending)
        ids = [row[-1] for row in sample[: page_size + 1]]
    else:
        # A common word. Walk the sort order from the cursor over at most WALK_BUDGET
        # entries (index-only); that finds a page when matches are not rare there.
        # The walk reads (id, search_text) from the covering index and matches the words
        # here, the same substring test as LIKE on the folded text.
        with _planner(_ORDERED_WALK):
            window = base.filter(cursor_q).order_by(*keys).values_list("pk", "search_text")
            ids = [pk for pk, text in window[:WALK_BUDGET] if all(word in text for word in words)][
                : page_size + 1
            ]
        if len(ids) <= page_size:
            # Matches are sparse at the start of this order: show the sample's first rows
            # in order, and say so (the words need narrowing).
            approximate = True
            sample.sort(reverse=descending)
            ids = [row[-1] for row in sample[: page_size + 1]]
    return _page_by_ids(ids, keys, sort, words, total, approximate, page_size)


def resolve_targets(user, filters: dict, ids: list[int] | None = None) -> QuerySet[Client]:
    """The clients an action (mass update, export) applies to: the visible clients that
    match `filters` (raw GET-style values), narrowed to `ids` when rows were ticked.

    Raises ValidationError with the form's Spanish messages for malformed filters.
    """
    form = ClientFilterForm(filters, user=user)
    if not form.is_valid():
        raise ValidationError(form.errors.as_data())
    qs = filtered_clients(user, form.cleaned_data)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return qs
