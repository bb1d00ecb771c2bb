import pytest

from ispgest.billing.tests.factories import setup_billing
from ispgest.portal.auth import HASH_KEY, SESSION_KEY
from ispgest.portal.services import session_hash
from ispgest.portal.tests.factories import subscriber


@pytest.fixture
def entity(db):
    return setup_billing()


@pytest.fixture
def alice(entity, admin_user):
    return subscriber(entity, "Alicia@Example.test", admin=admin_user)


@pytest.fixture
def bob(entity, admin_user):
    return subscriber(entity, "bruno@example.test", admin=admin_user)


def portal_login(client, account):
    session = client.session
    session[SESSION_KEY] = account.pk
    session[HASH_KEY] = session_hash(account)
    session.save()
    return client


@pytest.fixture
def portal_client(client, alice):
    """A test client with Alicia's portal session."""
    return portal_login(client, alice.account)
