import pytest

from ispgest.clients.models import Client


@pytest.fixture
def make_client(db):
    counter = {"n": 0}

    def _make(**extra) -> Client:
        counter["n"] += 1
        client = Client(name=extra.pop("name", f"Cliente {counter['n']}"), **extra)
        client.refresh_search_fields()
        client.save()
        return client

    return _make


@pytest.fixture
def subscriber(make_client):
    return make_client(name="Ana Pérez", email="ana@example.com")


PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
ELF_BYTES = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 200


@pytest.fixture
def imap_server(tmp_path):
    """A real Dovecot on a free loopback port with one user and an empty INBOX."""
    from ispgest.messaging.tests.dovecot import Dovecot, available

    if not available():
        pytest.skip("dovecot-imapd is not installed (.ci/run installs it)")
    server = Dovecot(tmp_path / "dovecot")
    server.start()
    yield server
    server.cleanup()


@pytest.fixture
def mailbox(db, imap_server):
    from ispgest.messaging.inbound import mailbox_save
    from ispgest.messaging.models import Mailbox

    return mailbox_save(
        actor=None,
        mailbox=Mailbox(
            name="Atención",
            host=imap_server.host,
            port=imap_server.port,
            security=Mailbox.Security.NONE,
            username=imap_server.user,
        ),
        password=imap_server.password,
    )
