import pytest

from ispgest.clients.models import Client


@pytest.fixture
def make_client(db):
    counter = {"n": 0}

    def _make(**extra) -> Client:
        counter["n"] += 1
        extra.setdefault("email", f"cliente{counter['n']}@correo.test")
        client = Client(name=extra.pop("name", f"Cliente {counter['n']}"), **extra)
        client.refresh_search_fields()
        client.save()
        return client

    return _make


@pytest.fixture
def subscriber(make_client):
    return make_client(name="Ana Pérez", email="ana@correo.test")


@pytest.fixture
def tech(make_user):
    return make_user("Técnico", username="tecnico", first_name="Tomás", last_name="Ruiz")


PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG_BYTES = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00"
    b"\x00\x00\x00IEND\xaeB`\x82"
)
HTML_BYTES = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"
