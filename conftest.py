"""Fixtures every test may use: role users, a real SMTP server, the immediate task backend."""

import asyncio
import socket
import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from django.contrib.auth.models import Group

from ispgest.accounts.roles import ADMIN


@pytest.fixture(autouse=True)
def _immediate_tasks(settings):
    """Tasks run inline in tests unless a test picks a real backend."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the installation's language: a request by a user who reads
    English leaves English active in the thread, and the next test's messages would be in
    English."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture
def make_user(db):
    """make_user("Vendedor") -> a staff user with that role (password "secreto-123456")."""
    from ispgest.accounts.models import User

    counter = {"n": 0}

    def _make(role: str | None = ADMIN, username: str | None = None, **extra):
        counter["n"] += 1
        user = User.objects.create_user(
            username=username or f"user{counter['n']}",
            password="secreto-123456",
            email=f"user{counter['n']}@isp.test",
            **extra,
        )
        if role:
            user.groups.add(Group.objects.get(name=role))
        return user

    return _make


@pytest.fixture
def admin_user(make_user):
    return make_user(ADMIN, username="jefa")


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


@dataclass
class ReceivedMail:
    mail_from: str
    rcpt_tos: list[str]
    message: object  # email.message.EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    def text(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        return part.get_content() if part else ""

    def attachments(self) -> list:
        return list(self.message.iter_attachments())


@dataclass
class _Handler:
    received: list = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server, session, envelope):
        msg = message_from_bytes(
            envelope.original_content or envelope.content, policy=policy.default
        )
        with self.lock:
            self.received.append(ReceivedMail(envelope.mail_from, list(envelope.rcpt_tos), msg))
        return "250 OK"


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server (aiosmtpd) on loopback; `.received` holds what it got."""
    handler = _Handler()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    # pytest-django swaps in the locmem backend; this fixture is about the real SMTP path.
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    controller.received = handler.received
    try:
        yield controller
    finally:
        controller.stop()
        asyncio.set_event_loop(None)
