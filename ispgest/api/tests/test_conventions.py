"""The conventions every endpoint gets without writing anything (api/base.py): the error
shape, Spanish validation messages, control characters refused, bounded pagination, JSON for
oversized bodies, unknown URLs and server errors. The walks over the whole spec are the
guard: a new endpoint that escapes a convention fails here."""

import json
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from ispgest.accounts.models import ApiToken
from ispgest.api.base import api as ninja_api
from ispgest.catalog.models import Region, Zone
from ispgest.core.text import CONTROL_MESSAGE, SPEC_PATTERN

pytestmark = pytest.mark.django_db

BASE = "/api/v1"


@pytest.fixture
def api(client, admin_user):
    _token, raw = ApiToken.issue(user=admin_user, name="test")
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {raw}"
    return client


@pytest.fixture(scope="module")
def spec():
    return ninja_api.get_openapi_schema(path_prefix="/api/v1/")


def _error_shape(body: dict) -> None:
    assert set(body) == {"detail", "code", "field", "errors"}, body
    assert isinstance(body["detail"], str) and body["detail"]


def _fill_path(path: str) -> str:
    return re.sub(r"{[^}]+}", "1", path)


# --- control characters -------------------------------------------------------------------


def _string_query_params(spec):
    for path, ops in spec["paths"].items():
        op = ops.get("get")
        if not op:
            continue
        for param in op.get("parameters", []):
            schema = param.get("schema", {})
            types = {schema.get("type")} | {s.get("type") for s in schema.get("anyOf", [])}
            if param["in"] == "query" and "string" in types and "format" not in schema:
                yield path, param["name"]


def test_it_refuses_a_control_character_in_every_string_filter_of_every_list(api, spec):
    checked = 0
    for path, name in _string_query_params(spec):
        url = _fill_path(path)
        for bad in ("a\x00b", "\x1b[31m"):
            resp = api.get(url, {name: bad})
            assert resp.status_code == 422, (url, name, resp.status_code, resp.content[:200])
            body = resp.json()
            _error_shape(body)
            assert body["field"] == name and body["errors"][name] == [str(CONTROL_MESSAGE)]
        checked += 1
    assert checked >= 10  # catalog q, contract status, invoice kind, client filters...


@pytest.mark.parametrize(
    "url,payload,field",
    [
        ("/catalog/zones", {"name": "a\u0000b"}, "name"),
        ("/catalog/regions", {"name": "Norte\u0007"}, "name"),
        ("/network/routers", {"name": "r1", "host": "10.0.0.1", "notes": "x\u001fy"}, "notes"),
    ],
)
def test_it_refuses_a_control_character_in_a_json_string_and_stores_nothing(
    api, url, payload, field
):
    before = (Zone.objects.count(), Region.objects.count())
    resp = api.post(BASE + url, payload, content_type="application/json")
    assert resp.status_code == 422, resp.content
    body = resp.json()
    _error_shape(body)
    assert body["field"] == field and body["errors"] == {field: [str(CONTROL_MESSAGE)]}
    assert (Zone.objects.count(), Region.objects.count()) == before


def test_it_refuses_control_characters_nested_in_lists_and_in_client_records(api):
    from ispgest.clients.models import Client

    client = Client.objects.create(name="Ana Pérez")
    resp = api.post(
        f"{BASE}/clients/{client.pk}/contacts",
        {"name": "Luis\u0000", "role": "other"},
        content_type="application/json",
    )
    assert resp.status_code == 422 and resp.json()["field"] == "name"
    resp = api.post(
        f"{BASE}/clients/{client.pk}/history",
        {"entry_type": "call", "summary": "hola\u0000"},
        content_type="application/json",
    )
    assert resp.status_code == 422 and resp.json()["field"] == "summary"
    resp = api.put(
        f"{BASE}/catalog/billing-entities/1/allowed-invoice-types",
        json.dumps([{"tax_condition": 1, "invoice_type": 1}, {"x\u0001": 2}]),
        content_type="application/json",
    )
    assert resp.status_code == 422 and resp.json()["field"] == "1.x\x01"
    assert not client.contacts.exists()


def test_tab_and_line_breaks_are_ordinary_text(api):
    resp = api.post(
        f"{BASE}/catalog/zones",
        {"name": "Centro", "description": "línea 1\r\nlínea\t2"},
        content_type="application/json",
    )
    assert resp.status_code == 201, resp.content


@pytest.mark.parametrize(
    "url", ["/contratos/", "/red/", "/configuracion/regiones/", "/clientes/", "/facturacion/"]
)
def test_a_page_filter_with_a_control_character_answers_400_with_the_message(admin_client, url):
    resp = admin_client.get(url, {"q": "a\x00b"})
    assert resp.status_code == 400
    html = resp.content.decode()
    assert str(CONTROL_MESSAGE) in html and "«q»" in html


def test_every_form_of_the_product_refuses_control_characters():
    """The guard for forms: every Form class of ispgest mixes in StyledFormMixin, which puts
    the validator on every text field."""
    from importlib import import_module
    from pathlib import Path

    from django import forms

    from ispgest.core.forms import StyledFormMixin

    root = Path(__file__).resolve().parents[2]
    for path in root.rglob("*.py"):
        rel = path.relative_to(root.parent).with_suffix("")
        if "tests" in rel.parts or "migrations" in rel.parts or rel.name == "__main__":
            continue
        import_module(".".join(rel.parts))

    def walk(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from walk(sub)

    ours = {c for c in walk(forms.BaseForm) if c.__module__.startswith("ispgest.")}
    assert len(ours) > 10
    missing = sorted(c.__qualname__ for c in ours if not issubclass(c, StyledFormMixin))
    assert missing == []


def test_a_form_shows_the_message_on_the_field(admin_client):
    resp = admin_client.post(
        "/configuracion/zonas/nuevo/", {"name": "Nor\x01te", "description": ""}
    )
    assert resp.status_code == 200
    assert str(CONTROL_MESSAGE) in resp.content.decode()
    assert not Zone.objects.filter(name__startswith="Norte").exists()


def test_every_input_string_of_the_spec_publishes_the_pattern(spec):
    components = spec["components"]["schemas"]

    def strings(schema, where, seen):
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            if name not in seen:
                seen.add(name)
                yield from strings(components[name], name, seen)
            return
        if schema.get("type") == "string" and not {"format", "enum"} & set(schema):
            yield where, schema
        for sub in (schema.get("properties") or {}).values():
            yield from strings(sub, where, seen)
        for key in ("items", "additionalProperties"):
            if isinstance(schema.get(key), dict):
                yield from strings(schema[key], where, seen)
        for key in ("anyOf", "oneOf", "allOf"):
            for sub in schema.get(key) or []:
                yield from strings(sub, where, seen)

    found = 0
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            schemas = [p.get("schema", {}) for p in op.get("parameters", [])]
            for media in (op.get("requestBody") or {}).get("content", {}).values():
                schemas.append(media["schema"])
            for schema in schemas:
                for where, s in strings(schema, f"{method} {path}", set()):
                    found += 1
                    assert s.get("pattern"), (where, s)
    assert found > 50
    assert re.fullmatch(SPEC_PATTERN.replace("\\u", "\\u"), "línea\t1")


# --- errors ----------------------------------------------------------------------------------


def test_every_operation_documents_the_error_answers_in_one_shape(spec):
    assert spec["components"]["schemas"]["Error"]["required"] == [
        "detail",
        "code",
        "field",
        "errors",
    ]
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            for status in (401, 403, 404, 409, 422, 500):
                answer = op["responses"].get(status)
                assert answer, (method, path, status)
                if "$ref" in answer:
                    answer = spec["components"]["responses"][answer["$ref"].rsplit("/", 1)[-1]]
                schema = answer["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/Error"}
            if method in ("post", "put", "patch"):
                assert 413 in op["responses"] and 400 in op["responses"]


def test_no_two_schemas_of_the_spec_share_a_name():
    """Two classes with one name collapse into one component (the billing and contracts
    LineOut did): the spec then describes one of them wrongly."""
    from pydantic import BaseModel

    by_name: dict[str, set] = {}

    def visit(model, seen):
        if model in seen or not (isinstance(model, type) and issubclass(model, BaseModel)):
            return
        seen.add(model)
        by_name.setdefault(model.__name__, set()).add(model)
        for field in model.model_fields.values():
            for arg in _types(field.annotation):
                visit(arg, seen)

    seen: set = set()
    for _prefix, router in ninja_api._routers:
        for path_view in router.path_operations.values():
            for op in path_view.operations:
                for model in op.models:
                    visit(model, seen)
                for model in op.response_models.values():
                    for arg in _types(model):
                        visit(arg, seen)
    # ninja's own per-operation wrappers (parameters, responses) share generated names.
    clashes = {
        n: sorted(m.__module__ for m in ms)
        for n, ms in by_name.items()
        if len([m for m in ms if m.__module__.startswith("ispgest.")]) > 1
    }
    assert clashes == {}


def _types(annotation):
    from typing import get_args

    yield annotation
    for arg in get_args(annotation):
        yield from _types(arg)


def test_schema_errors_come_out_in_spanish_with_the_field(api):
    resp = api.get(f"{BASE}/catalog/zones", {"limit": "abc"})
    assert resp.status_code == 422
    body = resp.json()
    _error_shape(body)
    assert body["field"] == "limit"
    assert body["errors"]["limit"] == ["Debe ser un número entero."]
    resp = api.post(f"{BASE}/catalog/zones", {}, content_type="application/json")
    assert resp.json()["errors"] == {"name": ["Este campo es obligatorio."]}
    resp = api.post(
        f"{BASE}/contracts/plans", {"name": "x", "price": "mucho"}, content_type="application/json"
    )
    assert resp.json()["errors"]["price"] == ["Debe ser un número decimal (por ejemplo 1234.50)."]


def test_a_body_that_is_not_json_is_a_spanish_400(api):
    resp = api.post(f"{BASE}/catalog/zones", "{nombre", content_type="application/json")
    assert resp.status_code == 400
    body = resp.json()
    _error_shape(body)
    assert body["detail"] == "El cuerpo de la solicitud no es JSON válido."


def test_an_oversized_body_gets_the_json_error(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    resp = api.post(
        f"{BASE}/catalog/zones",
        {"name": "x", "description": "y" * 5000},
        content_type="application/json",
    )
    assert resp.status_code == 413
    assert resp["Content-Type"].startswith("application/json")
    assert resp.json()["code"] == "too_large"


def test_a_server_error_answers_json_not_the_html_page(api, monkeypatch):
    from ispgest.catalog import selectors

    def boom(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(selectors, "catalog_rows", boom)
    resp = api.get(f"{BASE}/catalog/zones")
    assert resp.status_code == 500
    body = resp.json()
    _error_shape(body)
    assert body["code"] == "server_error" and "boom" not in body["detail"]


def test_an_unknown_api_url_and_a_wrong_method_answer_json(api):
    resp = api.get(f"{BASE}/no-existe")
    assert resp.status_code == 404 and resp.json()["code"] == "not_found"
    resp = api.put(f"{BASE}/catalog/zones", {}, content_type="application/json")
    assert resp.status_code == 405 and resp.json()["code"] == "method_not_allowed"


def test_the_interactive_docs_stay_html(admin_client):
    resp = admin_client.get(f"{BASE}/docs")
    assert resp.status_code == 200 and resp["Content-Type"].startswith("text/html")


# --- pagination ----------------------------------------------------------------------------


def test_limit_and_offset_are_bounded_on_every_list(api, spec):
    lists = [
        path
        for path, ops in spec["paths"].items()
        if "get" in ops and any(p["name"] == "limit" for p in ops["get"].get("parameters", []))
    ]
    assert len(lists) >= 15
    for path in lists:
        params = {p["name"]: p for p in spec["paths"][path]["get"]["parameters"]}
        assert params["limit"]["schema"]["maximum"] <= 500, path
        if "offset" in params:
            assert params["offset"]["schema"]["maximum"] <= 10_000, path
        assert "cursor" in params, path
        schema = spec["paths"][path]["get"]["responses"][200]["content"]["application/json"]
        ref = schema["schema"]["$ref"].rsplit("/", 1)[-1]
        assert "next_cursor" in spec["components"]["schemas"][ref]["properties"], path
        url = _fill_path(path)
        queries = [{"limit": 2**63}, {"limit": 1_000_000}, {"limit": 0}]
        if "offset" in params:
            queries.append({"offset": 2**63})
        for query in queries:
            resp = api.get(url, query)
            assert resp.status_code == 422, (url, query, resp.content[:200])
            _error_shape(resp.json())


def test_the_cursor_walks_every_row_once_and_a_tampered_one_is_refused(api):
    for i in range(7):
        Zone.objects.create(name=f"Zona {i:02d}")
    seen, cursor = [], ""
    while True:
        resp = api.get(f"{BASE}/catalog/zones", {"limit": 3, "cursor": cursor})
        body = resp.json()
        assert body["count"] == 7
        seen += [z["name"] for z in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"Zona {i:02d}" for i in range(7)]
    resp = api.get(f"{BASE}/catalog/zones", {"limit": 3, "offset": 6})
    assert [z["name"] for z in resp.json()["items"]] == ["Zona 06"]
    for bad in ("nope", "eyJrIjpbIngiLCJ5IiwieiJdfQ", "eyJvIjotMX0", "W10"):
        resp = api.get(f"{BASE}/catalog/zones", {"cursor": bad})
        assert resp.status_code == 422, (bad, resp.content)
        assert resp.json()["field"] == "cursor"
    # A position beyond every row (even beyond bigint) is an empty page, not an error.
    resp = api.get(f"{BASE}/catalog/zones", {"cursor": "eyJrIjpbMTAwMDAwMDAwMDAwMDAwMDAwMDAwMF19"})
    assert resp.status_code == 200 and resp.json()["items"] == []


# --- tokens --------------------------------------------------------------------------------


def test_a_read_only_token_reads_but_cannot_write(client, admin_user):
    _token, raw = ApiToken.issue(user=admin_user, name="ro", scopes=["read"])
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    assert client.get(f"{BASE}/catalog/zones", **auth).status_code == 200
    resp = client.post(
        f"{BASE}/catalog/zones", {"name": "x"}, content_type="application/json", **auth
    )
    assert resp.status_code == 403 and "alcance" in resp.json()["detail"]
    assert not Zone.objects.exists()


def test_a_domain_token_reaches_only_its_domain(client, admin_user):
    _token, raw = ApiToken.issue(user=admin_user, name="cat", scopes=["catalog", "clients:read"])
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    assert (
        client.post(
            f"{BASE}/catalog/zones", {"name": "x"}, content_type="application/json", **auth
        ).status_code
        == 201
    )
    assert client.get(f"{BASE}/clients", **auth).status_code == 200
    assert client.get(f"{BASE}/billing/invoices", **auth).status_code == 403
    assert (
        client.post(f"{BASE}/clients", {}, content_type="application/json", **auth).status_code
        == 403
    )


def test_an_expired_token_is_refused_and_use_is_recorded(client, admin_user):
    token, raw = ApiToken.issue(
        user=admin_user, name="old", expires_at=timezone.now() + timedelta(days=1)
    )
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    assert client.get(f"{BASE}/catalog/zones", **auth).status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    resp = client.get(f"{BASE}/catalog/zones", **auth)
    assert resp.status_code == 401 and resp.json()["code"] == "unauthenticated"


def test_the_profile_page_creates_a_scoped_expiring_token_and_shows_last_use(admin_client):
    future = (timezone.localdate() + timedelta(days=30)).isoformat()
    resp = admin_client.post(
        "/cuenta/perfil/",
        {"token-name": "cobranzas", "token-scopes": ["billing:read"], "token-expires_on": future},
    )
    assert resp.status_code == 200
    token = ApiToken.objects.get(name="cobranzas")
    assert token.scopes == ["billing:read"] and token.expires_at is not None
    html = resp.content.decode()
    assert "Facturación (solo lectura)" in html and "Último uso" in html
    resp = admin_client.post(
        "/cuenta/perfil/",
        {"token-name": "x", "token-scopes": ["all"], "token-expires_on": "2000-01-01"},
    )
    assert "La fecha de caducidad debe ser futura." in resp.content.decode()
