"""Webhooks against a real HTTP receiver on loopback: signature, retries, timeouts, order,
URL safety, pause after a day of failures, pages."""

import hashlib
import hmac
import json
import socket
import ssl
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import pytest
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from ispgest.accounts.roles import BILLING
from ispgest.webhooks import services
from ispgest.webhooks.models import Attempt, Delivery, Subscription

pytestmark = pytest.mark.django_db


class Receiver:
    """A loopback HTTP server that records requests and answers from a script."""

    def __init__(self, answers=(), hang: float = 0, tls: ssl.SSLContext | None = None):
        self.requests: list[dict] = []
        self.answers = list(answers)
        self.hang = hang
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.requests.append({"headers": dict(self.headers), "body": body})
                if outer.hang:
                    time.sleep(outer.hang)
                code = outer.answers.pop(0) if outer.answers else 200
                self.send_response(code)
                self.end_headers()
                self.wfile.write(b"ok" if code == 200 else b"boom")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        if tls:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(settings):
    settings.ISPGEST_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    settings.ISPGEST_WEBHOOK_RETRY_BASE = 0
    made = []

    def _make(**kw):
        r = Receiver(**kw)
        made.append(r)
        return r

    yield _make
    for r in made:
        r.close()


@pytest.fixture
def dns(monkeypatch):
    """Scripted DNS answers (the resolver outside this machine) for the names put in
    `answers`: each lookup takes the next list of addresses, the last one repeats. Other
    names resolve as usual; `asked` records the scripted lookups."""
    real = socket.getaddrinfo
    answers: dict[str, list[list[str]]] = {}
    asked: list[str] = []

    def getaddrinfo(host, port, *args, **kwargs):
        if host not in answers:
            return real(host, port, *args, **kwargs)
        asked.append(host)
        script = answers[host]
        addresses = script.pop(0) if len(script) > 1 else script[0]
        return [
            (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (a, port))
            for a in addresses
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return SimpleNamespace(answers=answers, asked=asked)


@pytest.fixture
def outside(monkeypatch):
    """The network beyond this machine: a connection to an address that is not loopback is
    recorded in `connected` and refused at once, so no test ever reaches out; loopback
    connections are real."""
    import ipaddress

    import httpcore
    from httpcore._backends.sync import SyncBackend

    real = SyncBackend.connect_tcp
    connected: list[str] = []

    def connect_tcp(self, host, port, *args, **kwargs):
        if not ipaddress.ip_address(host).is_loopback:
            connected.append(host)
            raise httpcore.ConnectError(f"{host}: fuera de esta máquina")
        return real(self, host, port, *args, **kwargs)

    monkeypatch.setattr(SyncBackend, "connect_tcp", connect_tcp)
    return SimpleNamespace(connected=connected)


def self_signed(name: str, directory) -> tuple[str, str]:
    """A certificate for `name` that is its own authority, and its key (PEM files)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / f"{name}.pem", directory / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return str(cert_path), str(key_path)


def verify(secret: str, headers: dict, body: bytes) -> bool:
    """What docs/webhooks.md tells a receiver to do."""
    parts = dict(p.split("=", 1) for p in headers["X-Ispgest-Signature"].split(","))
    expected = hmac.new(
        secret.encode(), parts["t"].encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    return hmac.compare_digest(expected, parts["v1"])


def test_a_receiver_verifies_the_signature_of_an_invoice_issued_event(receiver, admin_user):
    from ispgest.billing import services as billing
    from ispgest.billing.services import LineInput
    from ispgest.billing.tests.factories import make_client, setup_billing

    r = receiver()
    sub = services.subscription_create(
        actor=admin_user, name="Contable", url=r.url, events=["invoice.issued"]
    )
    client = make_client(setup_billing())
    with TestCase.captureOnCommitCallbacks(execute=True):
        invoice = billing.document_create(
            actor=admin_user, client=client, lines=[LineInput("Alta", "1", "100")], notify=False
        )
    assert len(r.requests) == 1
    req = r.requests[0]
    assert verify(sub.secret, req["headers"], req["body"])
    assert not verify("otro-secreto", req["headers"], req["body"])
    body = json.loads(req["body"])
    assert body["type"] == "invoice.issued" and set(body) == {"id", "type", "timestamp", "object"}
    assert body["object"]["id"] == invoice.pk and body["object"]["total"] == "100.00"
    delivery = Delivery.objects.get()
    assert delivery.status == "delivered" and delivery.log.get().status_code == 200


def test_500_five_times_then_200_is_delivered_once_with_six_attempts_logged(receiver, admin_user):
    r = receiver(answers=[500] * 5)
    sub = services.subscription_create(
        actor=admin_user, name="Cobros", url=r.url, events=["client.created"]
    )
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.send_test(actor=admin_user, subscription=sub)
    delivery = Delivery.objects.get()
    for _ in range(10):  # the scheduler's job, when the backend cannot defer the retry
        if delivery.status == "delivered":
            break
        services.retry_due()
        delivery.refresh_from_db()
    assert delivery.status == "delivered" and delivery.attempts == 6
    codes = list(Attempt.objects.order_by("id").values_list("status_code", flat=True))
    assert codes == [500, 500, 500, 500, 500, 200]
    assert len(r.requests) == 6
    assert Attempt.objects.filter(status_code=500).first().response_excerpt == "boom"


def test_a_hanging_receiver_times_out_and_is_retried_later(receiver, admin_user, settings):
    settings.ISPGEST_WEBHOOK_TIMEOUT = 1
    settings.ISPGEST_WEBHOOK_RETRY_BASE = 3600
    r = receiver(hang=3)
    sub = services.subscription_create(
        actor=admin_user, name="Lento", url=r.url, events=["client.created"]
    )
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.send_test(actor=admin_user, subscription=sub)
    delivery = Delivery.objects.get()
    log = delivery.log.get()
    assert log.status_code is None and "Tiempo de espera agotado" in log.error
    assert 900 <= log.duration_ms < 2900
    assert delivery.status == "retrying" and delivery.next_attempt_at > timezone.now()


def test_deliveries_of_one_object_go_in_order(receiver, admin_user, settings):
    from ispgest.clients.services import client_create, client_update

    settings.ISPGEST_WEBHOOK_RETRY_BASE = 3600

    r = receiver(answers=[500])
    services.subscription_create(
        actor=admin_user,
        name="Orden",
        url=r.url,
        events=["client.created", "client.updated"],
    )
    with TestCase.captureOnCommitCallbacks(execute=True):
        client = client_create(actor=admin_user, data={"name": "Orden SA"})
    with TestCase.captureOnCommitCallbacks(execute=True):
        client_update(actor=admin_user, client=client, data={"phone": "123"})
    first, second = Delivery.objects.order_by("id")
    assert first.status == "retrying" and second.status == "pending"
    assert len(r.requests) == 1  # the update waits behind the failed creation
    Delivery.objects.filter(pk=first.pk).update(next_attempt_at=timezone.now())
    services.retry_due()
    types = [json.loads(q["body"])["type"] for q in r.requests]
    assert types == ["client.created", "client.created", "client.updated"]


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/x",
        "http://127.0.0.1:9/x",
        "http://10.1.2.3/x",
        "http://192.168.0.10/x",
        "http://169.254.169.254/latest/meta-data",
        "http://100.64.0.1/x",
        "http://[::ffff:127.0.0.1]/x",
        "http://2130706433/x",
        "http://[::1]/x",
        "http://localhost/x",
    ],
)
def test_it_refuses_non_http_loopback_and_private_urls(admin_user, url, settings):
    settings.ISPGEST_WEBHOOK_ALLOWED_HOSTS = []
    with pytest.raises(Exception, match="URL"):
        services.subscription_create(actor=admin_user, name="x", url=url, events=["client.created"])
    assert not Subscription.objects.exists()


def test_it_refuses_the_product_itself(admin_user, settings):
    settings.SITE_URL = "https://isp.example.com"
    with pytest.raises(Exception, match="este mismo sistema"):
        services.subscription_create(
            actor=admin_user, name="x", url="https://isp.example.com/api", events=["client.created"]
        )


def test_a_subscription_failing_for_a_day_is_paused_and_its_owner_mailed(
    receiver, admin_user, smtp_server, settings
):
    settings.ISPGEST_WEBHOOK_RETRY_BASE = 3600
    r = receiver(answers=[500, 500])
    sub = services.subscription_create(
        actor=admin_user, name="Caído", url=r.url, events=["client.created"]
    )
    Subscription.objects.filter(pk=sub.pk).update(failing_since=timezone.now() - timedelta(days=1))
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.send_test(actor=admin_user, subscription=sub)
    sub.refresh_from_db()
    assert not sub.active and sub.paused_at is not None
    from ispgest.messaging.models import EmailMessage

    mail = EmailMessage.objects.get(template="webhook_paused")
    assert mail.to == [admin_user.email]


def test_a_subscription_failing_for_less_than_a_day_stays_active(receiver, admin_user, settings):
    settings.ISPGEST_WEBHOOK_RETRY_BASE = 3600
    r = receiver(answers=[500])
    sub = services.subscription_create(
        actor=admin_user, name="Tambalea", url=r.url, events=["client.created"]
    )
    since = timezone.now() - timedelta(hours=23)
    Subscription.objects.filter(pk=sub.pk).update(failing_since=since)
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.send_test(actor=admin_user, subscription=sub)
    sub.refresh_from_db()
    assert len(r.requests) == 1
    assert sub.active and sub.paused_at is None and sub.failing_since == since
    from ispgest.messaging.models import EmailMessage

    assert not EmailMessage.objects.filter(template="webhook_paused").exists()


def test_the_url_is_checked_again_before_each_request(receiver, admin_user, settings):
    """A host allowed when the subscription was saved and no longer allowed (or a name that
    resolves elsewhere now) is not called: the attempt logs why."""
    r = receiver()
    sub = services.subscription_create(
        actor=admin_user, name="Antes", url=r.url, events=["client.created"]
    )
    settings.ISPGEST_WEBHOOK_ALLOWED_HOSTS = []
    settings.ISPGEST_WEBHOOK_RETRY_BASE = 3600
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.send_test(actor=admin_user, subscription=sub)
    assert r.requests == []
    log = Attempt.objects.get()
    assert log.status_code is None and log.error.startswith("URL:")


def test_a_name_that_resolves_to_loopback_at_delivery_is_not_called(
    receiver, dns, admin_user, settings
):
    """The subscription was saved while its name resolved to a public address; at delivery
    the name resolves to loopback: nothing is sent and the attempt says why."""
    settings.ISPGEST_WEBHOOK_RETRY_BASE = 3600
    r = receiver()
    dns.answers["hooks.example"] = [["8.8.8.8"], ["127.0.0.1"]]
    sub = services.subscription_create(
        actor=admin_user,
        name="Cambia",
        url=f"http://hooks.example:{r.port}/hook",
        events=["client.created"],
    )
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.send_test(actor=admin_user, subscription=sub)
    assert r.requests == []
    log = Attempt.objects.get()
    assert log.status_code is None
    assert "es una dirección local o privada (127.0.0.1)" in log.error
    assert Delivery.objects.get().status == "retrying"


def test_the_request_goes_to_the_address_checked_not_to_a_second_answer(
    receiver, dns, outside, admin_user, settings
):
    """DNS rebinding: the name answers a public address to the checks and loopback to any
    lookup after them. The request connects to the public address (refused by the
    `outside` stand-in), so the loopback receiver gets nothing and the name is looked up
    once per check."""
    settings.ISPGEST_WEBHOOK_RETRY_BASE = 3600
    r = receiver()
    dns.answers["hooks.example"] = [["8.8.8.8"], ["8.8.8.8"], ["127.0.0.1"]]
    sub = services.subscription_create(
        actor=admin_user,
        name="Rebind",
        url=f"http://hooks.example:{r.port}/hook",
        events=["client.created"],
    )
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.send_test(actor=admin_user, subscription=sub)
    assert r.requests == []
    assert dns.asked == ["hooks.example", "hooks.example"]  # the save and the delivery
    assert outside.connected == ["8.8.8.8"]
    log = Attempt.objects.get()
    assert log.status_code is None and log.error.startswith("No se pudo conectar")


def test_an_allowed_name_is_called_at_the_address_checked_with_its_host_header(
    receiver, dns, admin_user, settings
):
    """Nothing listens on 127.0.0.2, so a delivery pinned there fails even though the name
    resolves to the receiver afterwards; with both addresses the next one is tried."""
    settings.ISPGEST_WEBHOOK_ALLOWED_HOSTS = ["hooks.example"]
    settings.ISPGEST_WEBHOOK_RETRY_BASE = 3600
    r = receiver()
    dns.answers["hooks.example"] = [["127.0.0.1"], ["127.0.0.2"], ["127.0.0.1"]]
    sub = services.subscription_create(
        actor=admin_user,
        name="Interno",
        url=f"http://hooks.example:{r.port}/hook",
        events=["client.created"],
    )
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.send_test(actor=admin_user, subscription=sub)
    assert r.requests == []
    assert Attempt.objects.get().error.startswith("No se pudo conectar")

    dns.answers["hooks.example"] = [["127.0.0.2", "127.0.0.1"]]
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.send_test(actor=admin_user, subscription=sub)
    assert len(r.requests) == 1
    assert r.requests[0]["headers"]["Host"] == f"hooks.example:{r.port}"
    assert Delivery.objects.filter(status="delivered").count() == 1


def test_https_names_the_host_in_sni_and_checks_its_certificate(
    receiver, dns, admin_user, settings, monkeypatch, tmp_path
):
    """The connection goes to the checked address, but TLS names the URL's host and the
    certificate must be valid for it: one for another name is refused."""
    import certifi

    settings.ISPGEST_WEBHOOK_ALLOWED_HOSTS = ["hooks.example", "otro.example"]
    settings.ISPGEST_WEBHOOK_RETRY_BASE = 3600
    cert, key = self_signed("hooks.example", tmp_path)
    monkeypatch.setattr(certifi, "where", lambda: cert)  # the trusted authorities
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert, key)
    names: list[str] = []
    tls.sni_callback = lambda sock, name, context: names.append(name)
    r = receiver(tls=tls)
    dns.answers["hooks.example"] = dns.answers["otro.example"] = [["127.0.0.1"]]
    for host in ("hooks.example", "otro.example"):
        sub = services.subscription_create(
            actor=admin_user,
            name=host,
            url=f"https://{host}:{r.port}/hook",
            events=["client.created"],
        )
        with TestCase.captureOnCommitCallbacks(execute=True):
            services.send_test(actor=admin_user, subscription=sub)
    assert names == ["hooks.example", "otro.example"]
    assert len(r.requests) == 1
    assert r.requests[0]["headers"]["Host"] == f"hooks.example:{r.port}"
    delivered, refused = Delivery.objects.order_by("id")
    assert delivered.status == "delivered" and refused.status == "retrying"
    assert "CERTIFICATE_VERIFY_FAILED" in refused.log.get().error


def test_the_pages_create_test_and_redeliver(receiver, admin_client):
    r = receiver()
    response = admin_client.post(
        reverse("webhooks:create"),
        {"name": "Pag", "url": r.url, "events": ["client.created"], "active": "on"},
    )
    sub = Subscription.objects.get()
    assert response.url == reverse("webhooks:detail", args=[sub.pk])
    with TestCase.captureOnCommitCallbacks(execute=True):
        admin_client.post(reverse("webhooks:test", args=[sub.pk]))
    delivery = Delivery.objects.get()
    with TestCase.captureOnCommitCallbacks(execute=True):
        admin_client.post(reverse("webhooks:redeliver", args=[delivery.pk]))
    assert len(r.requests) == 2
    page = admin_client.get(reverse("webhooks:detail", args=[sub.pk])).content.decode()
    assert "webhook.test" in page and "200" in page
    bad = admin_client.post(
        reverse("webhooks:create"),
        {"name": "Mal", "url": "http://10.0.0.1/", "events": ["client.created"]},
    )
    assert "dirección local o privada" in bad.content.decode()


def test_a_role_without_webhook_permissions_gets_403(client, make_user):
    client.force_login(make_user(BILLING))
    assert client.get(reverse("webhooks:list")).status_code == 403


def test_a_run_of_many_documents_looks_the_subscribers_up_once(admin_user, settings):
    """A billing run's documents_issued carries up to a million ids: one lookup, not one each."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from ispgest.billing import services as billing
    from ispgest.billing import signals
    from ispgest.billing.services import LineInput
    from ispgest.billing.tests.factories import make_client, setup_billing
    from ispgest.webhooks.models import Event

    setup = setup_billing()
    ids = [
        billing.document_create(
            actor=admin_user,
            client=make_client(setup),
            lines=[LineInput("Alta", "1", "10")],
            notify=False,
        ).pk
        for _ in range(5)
    ]

    def queries_of_one_signal() -> list[str]:
        with CaptureQueriesContext(connection) as ctx:
            signals.documents_issued.send(sender=None, invoice_ids=ids, actor=admin_user)
        return [q["sql"] for q in ctx.captured_queries]

    def lookups(sql: list[str]) -> int:
        return len([q for q in sql if "webhooks_subscription" in q])

    assert lookups(queries_of_one_signal()) == 1
    assert not Event.objects.exists()
    settings.ISPGEST_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    services.subscription_create(
        actor=admin_user, name="Contable", url="http://127.0.0.1:9/hook", events=["invoice.issued"]
    )
    assert lookups(queries_of_one_signal()) == 1
    assert Event.objects.filter(type="invoice.issued").count() == 5


def test_every_domain_event_reaches_a_subscriber_once(receiver, admin_user):
    """Each event of the issue, made by its service, is delivered to the receiver."""
    from datetime import date

    from ispgest.billing import services as billing
    from ispgest.billing.services import LineInput
    from ispgest.billing.tests.factories import make_client, make_plan, method, setup_billing
    from ispgest.clients.services import client_create, client_deactivate, client_update
    from ispgest.contracts.services import contract_create, contract_transition
    from ispgest.tickets.services import ticket_create, ticket_update
    from ispgest.webhooks.models import EventType

    r = receiver()
    everything = [e for e in EventType.values if e != EventType.TEST]
    services.subscription_create(actor=admin_user, name="Todo", url=r.url, events=everything)
    setup = setup_billing()

    def step(fn):
        with TestCase.captureOnCommitCallbacks(execute=True):
            return fn()

    step(lambda: client_create(actor=admin_user, data={"name": "Alta por servicio"}))
    client = make_client(setup)
    step(lambda: client_update(actor=admin_user, client=client, data={"phone": "351 555 0101"}))
    contract = step(
        lambda: contract_create(
            actor=admin_user,
            client=client,
            plan=make_plan(),
            start_date=date(2026, 1, 1),
            data={"address": "Calle 1"},
        )
    )
    step(lambda: contract_transition(actor=admin_user, contract=contract, to_status="active"))
    invoice = step(
        lambda: billing.document_create(
            actor=admin_user, client=client, lines=[LineInput("Alta", "1", "100")], notify=False
        )
    )
    payment = step(
        lambda: billing.payment_register(
            actor=admin_user,
            client=client,
            method=method("cash"),
            amount="100",
            invoices=[invoice],
            notify=False,
        )
    )
    step(lambda: billing.payment_reverse(actor=admin_user, payment=payment, reason="Error"))
    ticket = step(
        lambda: ticket_create(
            actor=admin_user, subject="Sin servicio", body="No navega", client=client, notify=False
        )
    )
    step(lambda: ticket_update(actor=admin_user, ticket=ticket, data={"subject": "Lento"}))
    step(lambda: client_deactivate(actor=admin_user, client=client))
    received = [json.loads(q["body"])["type"] for q in r.requests]
    assert set(received) == set(everything)
    assert Delivery.objects.exclude(status="delivered").count() == 0


def test_an_import_sends_client_created_for_each_client_and_its_undo_client_deactivated(
    receiver, admin_user, cat, monkeypatch
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from ispgest.clients import importing
    from ispgest.clients.models import Client

    monkeypatch.setattr(services, "EMIT_CHUNK", 2)  # three clients: two chunks
    r = receiver()
    sub = services.subscription_create(
        actor=admin_user,
        name="Espejo",
        url=r.url,
        events=["client.created", "client.deactivated"],
    )
    data = b"Nombre;Email\nUno SA;uno@example.com\nDos SA;dos@example.com\nTres SA;\n"
    imp = importing.import_upload(actor=admin_user, uploaded=SimpleUploadedFile("c.csv", data))
    with TestCase.captureOnCommitCallbacks(execute=True):
        importing.import_start_check(actor=admin_user, imp=imp)
    imp.refresh_from_db()
    assert r.requests == []  # the dry run writes nothing
    with TestCase.captureOnCommitCallbacks(execute=True):
        importing.import_start_run(actor=admin_user, imp=imp, mode="all")
    imp.refresh_from_db()
    bodies = [json.loads(q["body"]) for q in r.requests]
    assert all(verify(sub.secret, q["headers"], q["body"]) for q in r.requests)
    assert [b["type"] for b in bodies] == ["client.created"] * 3
    clients = {c.pk: c for c in Client.objects.all()}
    assert sorted(b["object"]["id"] for b in bodies) == sorted(clients)
    by_name = {b["object"]["name"]: b["object"] for b in bodies}
    assert by_name["Dos SA"]["email"] == "dos@example.com"
    assert len({b["id"] for b in bodies}) == 3

    with TestCase.captureOnCommitCallbacks(execute=True):
        importing.import_undo(actor=admin_user, imp=imp)
    undone = [json.loads(q["body"]) for q in r.requests[3:]]
    assert [b["type"] for b in undone] == ["client.deactivated"] * 3
    assert {b["object"]["status"] for b in undone} == {"inactive"}
    assert Delivery.objects.filter(status="delivered").count() == 6


def test_an_import_that_rolls_back_sends_nothing(receiver, admin_user, cat):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from ispgest.clients import importing
    from ispgest.clients.models import Client
    from ispgest.webhooks.models import Event

    r = receiver()
    services.subscription_create(
        actor=admin_user, name="Espejo", url=r.url, events=["client.created"]
    )
    data = b"Nombre;Email\nUno SA;uno@example.com\nDos SA;otro@example.com\n"
    imp = importing.import_upload(actor=admin_user, uploaded=SimpleUploadedFile("c.csv", data))
    with TestCase.captureOnCommitCallbacks(execute=True):
        importing.import_start_check(actor=admin_user, imp=imp)
    imp.refresh_from_db()
    # The e-mail is taken after the dry run: the all-or-nothing import refuses every row.
    from ispgest.clients.services import client_create

    client_create(actor=admin_user, data={"name": "Otro", "email": "otro@example.com"})
    Event.objects.all().delete()
    Delivery.objects.all().delete()
    with TestCase.captureOnCommitCallbacks(execute=True):
        importing.import_start_run(actor=admin_user, imp=imp, mode="all")
    assert not Client.objects.filter(name__in=["Uno SA", "Dos SA"]).exists()
    assert Event.objects.count() == 0 and Delivery.objects.count() == 0
    assert r.requests == []


def test_first_attempts_are_queued_in_batches_and_each_batch_delivers_in_order(
    receiver, admin_user, settings, monkeypatch
):
    """The database task backend: the tasks counted are the rows it stores at commit; each
    is then run as the worker would (its task with its stored arguments)."""
    from django.utils.module_loading import import_string
    from django_tasks_db.models import DBTaskResult

    from ispgest.clients.models import Client

    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }
    monkeypatch.setattr(services, "ENQUEUE_BATCH", 2)
    r = receiver()
    services.subscription_create(
        actor=admin_user, name="Lote", url=r.url, events=["client.created"]
    )
    clients = [Client.objects.create(name=f"Lote {n}") for n in range(5)]
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert services.emit_many("client.created", clients) == 5
    rows = list(DBTaskResult.objects.order_by("enqueued_at", "id"))
    assert [row.task_path for row in rows] == ["ispgest.webhooks.tasks.deliver_batch_task"] * 3
    batches = [row.args_kwargs["args"][0] for row in rows]
    assert [len(b) for b in batches] == [2, 2, 1]
    assert sorted(pk for b in batches for pk in b) == sorted(
        Delivery.objects.values_list("pk", flat=True)
    )
    assert r.requests == []  # nothing is sent before a worker runs the tasks
    for row in rows:
        import_string(row.task_path).call(*row.args_kwargs["args"])
    sent = [json.loads(q["body"])["object"]["id"] for q in r.requests]
    assert sent == [c.pk for c in clients]
    assert Delivery.objects.filter(status="delivered").count() == 5


def test_a_delivery_that_raises_does_not_stop_the_rest_of_its_batch(
    receiver, admin_user, monkeypatch
):
    from ispgest.clients.models import Client

    r = receiver()
    services.subscription_create(
        actor=admin_user, name="Lote", url=r.url, events=["client.created"]
    )
    clients = [Client.objects.create(name=f"Lote {n}") for n in range(3)]
    services.emit_many("client.created", clients)
    ids = list(Delivery.objects.order_by("id").values_list("pk", flat=True))
    real = services.attempt

    def attempt(pk):
        if pk == ids[1]:
            raise RuntimeError("boom")
        return real(pk)

    monkeypatch.setattr(services, "attempt", attempt)
    assert services.attempt_many(ids) == {"delivered": 2, "error": 1}
    statuses = dict(Delivery.objects.values_list("pk", "status"))
    assert [statuses[pk] for pk in ids] == ["delivered", "pending", "delivered"]
    # The scheduler's job picks the one left behind.
    monkeypatch.setattr(services, "attempt", real)
    # A pending delivery is the queued task's for PENDING_GRACE; then the job takes it.
    assert services.retry_due() == 0
    Delivery.objects.filter(pk=ids[1]).update(
        created_at=timezone.now() - services.PENDING_GRACE - timedelta(seconds=1)
    )
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert services.retry_due() == 1
    assert Delivery.objects.get(pk=ids[1]).status == "delivered"
    assert len(r.requests) == 3


def test_reactivating_a_paused_subscription_sends_what_waited_at_once_oldest_first(
    receiver, admin_user
):
    from ispgest.clients.models import Client

    r = receiver()
    sub = services.subscription_create(
        actor=admin_user, name="Pausada", url=r.url, events=["client.created"]
    )
    services.subscription_update(actor=admin_user, subscription=sub, data={"active": False})
    clients = [Client.objects.create(name=f"Espera {n}") for n in range(3)]
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.emit_many("client.created", clients, subs=[sub])
    assert r.requests == []  # paused: nothing goes out
    assert Delivery.objects.filter(status="pending").count() == 3
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.subscription_update(actor=admin_user, subscription=sub, data={"active": True})
    assert [json.loads(q["body"])["object"]["id"] for q in r.requests] == [c.pk for c in clients]
    assert Delivery.objects.filter(status="delivered").count() == 3


def test_a_mass_update_sends_client_updated_with_each_clients_changes(
    receiver, admin_user, monkeypatch
):
    from ispgest.catalog.models import Collector
    from ispgest.clients import mass_update
    from ispgest.clients.models import Client

    monkeypatch.setattr(mass_update, "CHUNK", 2)  # three clients that change: two chunks
    r = receiver()
    services.subscription_create(
        actor=admin_user,
        name="Contable",
        url=r.url,
        events=["client.updated", "client.deactivated"],
    )
    old, new = Collector.objects.create(name="Viejo"), Collector.objects.create(name="Nuevo")
    changing = [Client.objects.create(name=f"Cambia {n}", collector=old) for n in range(3)]
    same = Client.objects.create(name="Igual", collector=new)
    targets = Client.objects.filter(pk__in=[c.pk for c in [*changing, same]])
    with TestCase.captureOnCommitCallbacks(execute=True):
        mass_update.clients_mass_update(
            actor=admin_user, targets=targets, changes={"collector": new}
        )
    bodies = [json.loads(q["body"]) for q in r.requests]
    assert [b["type"] for b in bodies] == ["client.updated"] * 3  # not the unchanged one
    assert [b["object"]["id"] for b in bodies] == [c.pk for c in changing]
    assert {json.dumps(b["object"]["changes"]) for b in bodies} == {
        json.dumps({"Recaudador": ["Viejo", "Nuevo"]})
    }
    assert all(b["object"]["collector_id"] == new.pk for b in bodies)

    with TestCase.captureOnCommitCallbacks(execute=True):
        mass_update.clients_mass_update(
            actor=admin_user, targets=targets, changes={"status": "inactive"}
        )
    later = [json.loads(q["body"]) for q in r.requests[3:]]
    assert sorted(b["type"] for b in later) == ["client.deactivated"] * 4 + ["client.updated"] * 4
    assert {b["object"]["status"] for b in later} == {"inactive"}


def test_an_event_stored_in_bulk_is_the_one_emit_stores(admin_user):
    from decimal import Decimal

    from ispgest.billing import services as billing
    from ispgest.billing.services import LineInput
    from ispgest.billing.tests.factories import make_client, setup_billing
    from ispgest.webhooks.models import Event

    sub = Subscription.objects.create(
        name="Igual", url="http://127.0.0.1:9/x", events=["invoice.issued"], active=False
    )
    invoice = billing.document_create(
        actor=admin_user,
        client=make_client(setup_billing()),
        lines=[LineInput("Alta «ñ»", "1", "100.50")],
        notify=False,
    )
    one = services.emit("invoice.issued", invoice, {"x": Decimal("1.10")}, subs=[sub])
    assert (
        services.emit_many(
            "invoice.issued", [invoice], subs=[sub], extra=lambda obj: {"x": Decimal("1.10")}
        )
        == 1
    )
    bulk = Event.objects.exclude(pk=one.pk).get()
    one.refresh_from_db()
    assert bulk.data == one.data and bulk.data["total"] == "100.50" and bulk.data["x"] == "1.10"
    assert (bulk.type, bulk.object_type, bulk.object_id) == (
        one.type,
        one.object_type,
        one.object_id,
    )
    assert abs((bulk.created_at - one.created_at).total_seconds()) < 60
    first, second = Delivery.objects.order_by("id")
    assert (first.event_id, second.event_id) == (one.pk, bulk.pk)
    assert (second.status, second.attempts, second.object_key) == (
        "pending",
        0,
        f"billing.invoice:{invoice.pk}",
    )
    assert json.loads(services.body_of(bulk))["object"] == bulk.data
