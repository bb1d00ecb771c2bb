"""The RouterOS client against the loopback peer: logins, TLS, timeouts, messages."""

import logging

import pytest

from ispgest.network import routeros
from ispgest.network.testing.peer import RouterOSPeer, self_signed_tls


def cfg(peer, **extra):
    base = {
        "host": "127.0.0.1",
        "port": peer.port,
        "username": "api",
        "password": "api-pass",
        "timeout": 2,
    }
    base.update(extra)
    return routeros.ConnectionSettings(**base)


def test_it_reads_identity_version_and_uptime_with_the_plain_login():
    with RouterOSPeer(identity="Nodo-1", version="7.16.2 (stable)") as peer:
        info = routeros.probe(cfg(peer))
    assert info["identity"] == "Nodo-1" and info["version"].startswith("7.16")
    assert info["uptime"] == "1w2d03:04:05"


def test_it_logs_in_with_the_legacy_challenge_of_old_routers():
    with RouterOSPeer(legacy_login=True, version="6.40.1") as peer:
        with pytest.raises(routeros.RouterOSError) as exc:
            routeros.probe(cfg(peer, login_method="plain"))
        assert exc.value.kind == "credentials"
        assert "pidió el inicio de sesión antiguo con desafío" in exc.value.message
        info = routeros.probe(cfg(peer, login_method="legacy"))
        assert info["version"] == "6.40.1" and info["login_method"] == "legacy"
        assert peer.logins == 1
        assert peer.login_words[-2:] == [[], ["name", "response"]]


def test_auto_logs_in_to_a_modern_router_with_the_plain_login_alone():
    with RouterOSPeer(version="7.16.2 (stable)") as peer:
        info = routeros.probe(cfg(peer, login_method="auto"))
        assert info["login_method"] == "plain" and info["version"].startswith("7.16")
        assert peer.logins == 1 and peer.login_words == [["name", "password"]]


def test_auto_answers_the_challenge_of_an_old_router_without_resending_the_password():
    with RouterOSPeer(legacy_login=True, version="6.40.1") as peer:
        info = routeros.probe(cfg(peer))  # "auto" is the default
        assert info["login_method"] == "legacy" and info["version"] == "6.40.1"
        assert peer.logins == 1
        # One connection: the plain login, then only the MD5 response to its challenge.
        assert peer.login_words == [["name", "password"], ["name", "response"]]
        assert len(peer.commands) == 2  # identity and resource, on the logged-in session


@pytest.mark.parametrize("legacy", [False, True], ids=["modern", "old"])
def test_auto_with_wrong_credentials_gives_the_spanish_message(legacy, caplog):
    caplog.set_level(logging.DEBUG)
    with RouterOSPeer(legacy_login=legacy) as peer:
        with pytest.raises(routeros.RouterOSError) as exc:
            routeros.probe(cfg(peer, password="Otra-Clave-99"))
        assert peer.logins == 0
    assert exc.value.kind == "credentials"
    assert "Usuario o contraseña de la API incorrectos" in exc.value.message
    assert "Otra-Clave-99" not in str(exc.value) and "Otra-Clave-99" not in caplog.text


def test_wrong_credentials_give_a_spanish_message_without_the_password(caplog):
    caplog.set_level(logging.DEBUG)
    with RouterOSPeer() as peer:
        with pytest.raises(routeros.RouterOSError) as exc:
            routeros.probe(cfg(peer, password="Otra-Clave-99"))
    assert exc.value.kind == "credentials"
    assert "Usuario o contraseña de la API incorrectos" in str(exc.value)
    assert "Otra-Clave-99" not in str(exc.value) and "Otra-Clave-99" not in repr(exc.value)
    assert "Otra-Clave-99" not in caplog.text
    assert "Otra-Clave-99" not in repr(routeros.ConnectionSettings("h", 1, "u", "Otra-Clave-99"))


def test_api_ssl_with_a_pinned_fingerprint_and_a_wrong_one():
    ctx, _pem, fingerprint = self_signed_tls()
    with RouterOSPeer(tls=ctx) as peer:
        colons = ":".join(fingerprint[i : i + 2] for i in range(0, 64, 2)).upper()
        assert routeros.probe(cfg(peer, use_ssl=True, fingerprint=colons))["identity"]
        with pytest.raises(routeros.RouterOSError) as exc:
            routeros.probe(cfg(peer, use_ssl=True, fingerprint="ab" * 32))
        assert exc.value.kind == "tls" and "huella SHA-256" in str(exc.value)
        # without a pin, a self-signed certificate fails verification
        with pytest.raises(routeros.RouterOSError) as exc:
            routeros.probe(cfg(peer, use_ssl=True))
        assert exc.value.kind == "tls" and "certificado" in str(exc.value)


def test_a_router_that_never_answers_times_out():
    with RouterOSPeer() as peer:
        peer.silent = True
        with pytest.raises(routeros.RouterOSError) as exc:
            routeros.probe(cfg(peer, timeout=0.5))
    assert exc.value.kind == "timeout" and "tiempo de espera agotado" in str(exc.value)


def test_a_closed_port_is_refused():
    peer = RouterOSPeer().start()
    port = peer.port
    peer.stop()
    with pytest.raises(routeros.RouterOSError) as exc:
        routeros.probe(routeros.ConnectionSettings("127.0.0.1", port, "api", "x", timeout=1))
    assert exc.value.kind == "refused" and "rechazó la conexión" in str(exc.value)


def test_queries_proplist_empty_replies_and_traps():
    with RouterOSPeer(version="7.18.1") as peer, routeros.session(cfg(peer)) as client:
        assert client.print("/ppp/secret", name="nadie") == []  # !empty then !done
        client.add("/ppp/secret", name="ana", password="x", profile="p1")
        client.add("/ppp/secret", name="luis", password="y", profile="p2")
        rows = client.print("/ppp/secret", proplist=("name",), profile="p2")
        assert rows == [{"name": "luis"}]
        with pytest.raises(routeros.RouterOSError) as exc:
            client.add("/ppp/secret", name="ana", password="z")
        assert exc.value.kind == "trap" and "already exists" in str(exc.value)
        # pipelined commands are answered by tag, a trap in the middle does not shift them
        replies = client.pipeline(
            [
                ("/ppp/secret/add", {"name": "a1"}),
                ("/ppp/secret/add", {"name": "ana"}),
                ("/ppp/secret/add", {"name": "a2"}),
            ]
        )
        assert [r[0] for r in replies] == ["!done", "!trap", "!done"]
        assert len(peer.rows("/ppp/secret")) == 4


def test_the_connection_dropped_mid_session_is_reported():
    with RouterOSPeer() as peer:
        peer.drop_after = 1
        with pytest.raises(routeros.RouterOSError) as exc, routeros.session(cfg(peer)) as client:
            client.print("/ppp/secret")
            client.print("/ppp/secret")
    assert exc.value.kind == "closed"
