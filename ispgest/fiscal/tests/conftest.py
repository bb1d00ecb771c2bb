import pytest


@pytest.fixture(autouse=True)
def _sif_identity(settings):
    """The invoicing system's identification every record carries."""
    settings.ISPGEST_VERIFACTU_PRODUCER_NAME = "Software Libre de Facturación S.L."
    settings.ISPGEST_VERIFACTU_PRODUCER_NIF = "A58700329"
    settings.ISPGEST_VERIFACTU_VERSION = "0.1.0-test"


class Agency:
    """The running stand-in plus the test PKI (see standin.py, pki.py)."""

    def __init__(self, standin, ca, tmp_path, capture):
        self.standin = standin
        self.ca = ca
        self.tmp_path = tmp_path
        self._capture = capture

    def committing(self):
        """Run the on-commit work (the enqueued submission) of what happens inside."""
        return self._capture(execute=True)

    def p12(self, password="clave-1234", *, nif="B12345674", **kwargs) -> bytes:
        from ispgest.fiscal.tests import pki

        client = pki.issue(self.ca, "RED NORTE S.L.", serial=f"VATES-{nif}", **kwargs)
        return client.p12(password, self.ca)

    def give_certificate(self, issuer, password="clave-1234"):
        from ispgest.fiscal import services

        with self.committing():
            return services.issuer_certificate_upload(
                actor=None, issuer=issuer, data=self.p12(password), password=password
            )


@pytest.fixture
def aeat(settings, tmp_path, django_capture_on_commit_callbacks):
    """A stand-in AEAT on a free loopback port, trusted through a test CA."""
    from ispgest.fiscal.tests import pki
    from ispgest.fiscal.tests.standin import StandIn

    ca = pki.make_ca()
    server = pki.issue(ca, "127.0.0.1", server=True)
    ca_file = pki.write(tmp_path / "ca.pem", ca.pem())
    standin = StandIn(
        server_cert=pki.write(tmp_path / "server.pem", server.pem()),
        server_key=pki.write(tmp_path / "server.key", server.key_pem()),
        ca_file=ca_file,
    ).start()
    settings.ISPGEST_VERIFACTU_CA_FILE = ca_file
    settings.ISPGEST_VERIFACTU_ENDPOINT_TEST = standin.url
    settings.ISPGEST_VERIFACTU_ENDPOINT_PRODUCTION = standin.url
    settings.ISPGEST_VERIFACTU_TIMEOUT = 3
    yield Agency(standin, ca, tmp_path, django_capture_on_commit_callbacks)
    standin.stop()
