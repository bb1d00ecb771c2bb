"""Talking to a MikroTik router through its API, with librouteros only.

`session(router)` opens a logged-in connection with the router's settings: the plain login
(RouterOS 6.43+ and 7), the legacy MD5 challenge (older 6.x) or "auto" (plain, then the
challenge on the same connection when the router answers with one), API-SSL with the
certificate verified against the system's CAs or pinned by its SHA-256 fingerprint (for the
self-signed certificates routers usually have), and the router's timeout on every read.
Every failure becomes a `RouterOSError` whose message is Spanish and names what went wrong
(unreachable, refused, credentials, TLS, timeout, the router's own refusal); the password
never reaches a message, an exception or a log line.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import logging
import re
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass

import librouteros
from librouteros.exceptions import ConnectionClosed, FatalError, LibRouterosError, TrapError
from librouteros.login import encode_password

API_PORT = 8728
API_SSL_PORT = 8729

_SECRET_WORD = re.compile(r"(=(?:password|response)=)[^'\"]*")


class _RedactSecrets(logging.Filter):
    """librouteros logs every word it sends at DEBUG: passwords are blanked first."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and "=" in record.msg:
            record.msg = _SECRET_WORD.sub(r"\1***", record.msg)
        return True


logging.getLogger("librouteros").addFilter(_RedactSecrets())


class RouterOSError(Exception):
    """A router could not do what was asked. `kind` is one of: unreachable, refused,
    credentials, tls, timeout, closed, trap, config."""

    def __init__(self, message: str, kind: str = "error"):
        super().__init__(message)
        self.message = message
        self.kind = kind

    @property
    def retryable(self) -> bool:
        return self.kind in ("unreachable", "refused", "timeout", "closed", "tls")


@dataclass
class ConnectionSettings:
    host: str
    port: int
    username: str
    password: str
    use_ssl: bool = False
    fingerprint: str = ""  # hex SHA-256 of the certificate (colons allowed)
    timeout: float = 10.0
    login_method: str = "auto"  # "auto", "plain" or "legacy"
    label: str = ""  # the router's name, for messages

    def __repr__(self) -> str:  # never the password
        return f"ConnectionSettings(host={self.host!r}, port={self.port}, user={self.username!r})"


def normalize_fingerprint(value: str) -> str:
    return value.replace(":", "").replace(" ", "").strip().lower()


def settings_for(router) -> ConnectionSettings:
    from ispgest.network.services import router_password

    return ConnectionSettings(
        host=router.host,
        port=router.api_port,
        username=router.username,
        password=router_password(router),
        use_ssl=router.use_ssl,
        fingerprint=router.tls_fingerprint,
        timeout=float(router.timeout_seconds),
        login_method=router.login_method,
        label=router.name,
    )


def _ssl_wrapper(cfg: ConnectionSettings):
    pinned = normalize_fingerprint(cfg.fingerprint)
    if pinned:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE  # the pin below is the check
    else:
        ctx = ssl.create_default_context()

    def wrap(sock: socket.socket) -> socket.socket:
        tls = ctx.wrap_socket(sock, server_hostname=cfg.host)
        if pinned:
            der = tls.getpeercert(binary_form=True) or b""
            if not hmac.compare_digest(hashlib.sha256(der).hexdigest(), pinned):
                tls.close()
                raise RouterOSError(
                    "La huella SHA-256 del certificado del router no coincide con la "
                    "configurada: la conexión no es segura y se cerró.",
                    "tls",
                )
        return tls

    return wrap


def _who(cfg: ConnectionSettings) -> str:
    return f"{cfg.label or cfg.host} ({cfg.host}:{cfg.port})"


def translate(exc: BaseException, cfg: ConnectionSettings) -> RouterOSError:
    """A Spanish RouterOSError for any failure of a connection or a command."""
    who = _who(cfg)
    if isinstance(exc, RouterOSError):
        return exc
    if isinstance(exc, TimeoutError | socket.timeout):
        return RouterOSError(
            f"El router {who} no respondió en {cfg.timeout:g} segundos (tiempo de espera agotado).",
            "timeout",
        )
    if isinstance(exc, ConnectionRefusedError):
        return RouterOSError(
            f"El router {who} rechazó la conexión: ¿está activado el servicio "
            f"{'api-ssl' if cfg.use_ssl else 'api'} en ese puerto?",
            "refused",
        )
    if isinstance(exc, ssl.SSLCertVerificationError):
        return RouterOSError(
            f"No se pudo verificar el certificado TLS de {who}: {exc.verify_message}. "
            "Configure la huella SHA-256 si el certificado es autofirmado.",
            "tls",
        )
    if isinstance(exc, ssl.SSLError):
        return RouterOSError(f"Falló la negociación TLS con {who} ({exc.reason}).", "tls")
    if isinstance(exc, socket.gaierror):
        return RouterOSError(f"No se encontró el host {cfg.host!r}.", "unreachable")
    if isinstance(exc, ConnectionClosed | ConnectionResetError | BrokenPipeError):
        return RouterOSError(f"El router {who} cerró la conexión inesperadamente.", "closed")
    if isinstance(exc, FatalError):
        return RouterOSError(f"El router {who} cerró la sesión: {exc}.", "closed")
    if isinstance(exc, TrapError):
        return RouterOSError(f"El router {who} rechazó la orden: {exc.message}.", "trap")
    if isinstance(exc, OSError):
        return RouterOSError(
            f"No se pudo conectar con el router {who}: {exc.strerror or type(exc).__name__}.",
            "unreachable",
        )
    if isinstance(exc, LibRouterosError):
        return RouterOSError(f"Error de protocolo con el router {who}.", "closed")
    return RouterOSError(f"Error inesperado con el router {who}: {type(exc).__name__}.", "error")


class _Login:
    """The login step of `librouteros.connect`; `used` is the method that logged in.

    RouterOS before 6.43 ignores the name and password of a plain `/login` and answers
    `!done =ret=<challenge>` without opening a session. "auto" then answers that challenge
    with the MD5 response on the same connection, so the password is sent once, by the
    plain login, and never again; "plain" stops there with a message naming the methods
    that work."""

    def __init__(self, cfg: ConnectionSettings):
        self.cfg = cfg
        self.used = ""

    def __call__(self, api, username: str, password: str) -> None:
        who = _who(self.cfg)
        try:
            if self.cfg.login_method == "legacy":
                librouteros.token(api, username, password)
                self.used = "legacy"
                return
            replies = tuple(api("/login", name=username, password=password))
            challenge = next((str(r["ret"]) for r in replies if "ret" in r), None)
            if challenge is None:
                self.used = "plain"
                return
            if self.cfg.login_method != "auto":
                raise RouterOSError(
                    f"El router {who} pidió el inicio de sesión antiguo con desafío (RouterOS "
                    "anterior a 6.43): elija el método automático o el antiguo.",
                    "credentials",
                )
            response = encode_password(challenge, password)
            tuple(api("/login", name=username, response=response))
            self.used = "legacy"
        except TrapError as exc:
            if "invalid user name or password" in exc.message or "cannot log in" in exc.message:
                raise RouterOSError(
                    f"Usuario o contraseña de la API incorrectos para {who}.", "credentials"
                ) from None
            raise
        except (KeyError, StopIteration):
            raise RouterOSError(
                f"El router {who} no aceptó el método de inicio de sesión elegido "
                "(pruebe el automático o el normal para RouterOS 6.43 o posterior).",
                "credentials",
            ) from None
        except UnicodeEncodeError:
            raise RouterOSError(
                f"No se pudo responder al desafío de {who}: el inicio de sesión antiguo solo "
                "admite contraseñas ASCII.",
                "credentials",
            ) from None
        except ValueError:  # binascii.Error: a challenge that is not hexadecimal
            raise RouterOSError(
                f"El router {who} respondió al inicio de sesión con un desafío no válido.",
                "closed",
            ) from None


def connect(cfg: ConnectionSettings):
    """A logged-in librouteros Api; `api.login_method` is the method that logged in."""
    if not cfg.host:
        raise RouterOSError("El router no tiene dirección configurada.", "config")
    login = _Login(cfg)
    try:
        api = librouteros.connect(
            cfg.host,
            cfg.username,
            cfg.password,
            port=cfg.port,
            timeout=cfg.timeout,
            ssl_wrapper=_ssl_wrapper(cfg) if cfg.use_ssl else None,
            login_method=login,
            encoding="utf-8",
        )
    except Exception as exc:
        raise translate(exc, cfg) from None
    api.login_method = login.used
    return api


@contextlib.contextmanager
def session(router_or_cfg) -> Iterator[Client]:
    cfg = (
        router_or_cfg
        if isinstance(router_or_cfg, ConnectionSettings)
        else settings_for(router_or_cfg)
    )
    api = connect(cfg)
    try:
        yield Client(api, cfg)
    except RouterOSError:
        raise
    except Exception as exc:
        raise translate(exc, cfg) from None
    finally:
        with contextlib.suppress(Exception):
            api.close()


class Client:
    """The commands ispgest sends, over one logged-in connection."""

    def __init__(self, api, cfg: ConnectionSettings):
        self.api = api
        self.cfg = cfg
        self.login_method: str = getattr(api, "login_method", "")

    def _call(self, cmd: str, **kwargs) -> list[dict]:
        try:
            return list(self.api(cmd, **kwargs))
        except Exception as exc:
            raise translate(exc, self.cfg) from None

    def print(self, menu: str, *, proplist: tuple[str, ...] = (), **where) -> list[dict]:
        words = []
        if proplist:
            words.append(f"=.proplist={','.join(proplist)}")
        words += [f"?={k.replace('_', '-')}={v}" for k, v in where.items()]
        try:
            return list(self.api.rawCmd(f"{menu}/print", *words))
        except Exception as exc:
            raise translate(exc, self.cfg) from None

    def add(self, menu: str, **values) -> str:
        rows = self._call(f"{menu}/add", **_words(values))
        return str(rows[0].get("ret", "")) if rows else ""

    def set(self, menu: str, item_id: str, **values) -> None:
        self._call(f"{menu}/set", **{".id": item_id}, **_words(values))

    def remove(self, menu: str, *item_ids: str) -> None:
        if item_ids:
            self._call(f"{menu}/remove", **{".id": ",".join(item_ids)})

    def identity(self) -> dict:
        ident = self._call("/system/identity/print")
        res = self._call("/system/resource/print")
        info = res[0] if res else {}
        return {
            "identity": str((ident[0] if ident else {}).get("name", "")),
            "version": str(info.get("version", "")),
            "uptime": str(info.get("uptime", "")),
            "board": str(info.get("board-name", "")),
        }

    def ping(self, address: str, count: int = 4) -> dict:
        rows = self._call("/ping", address=address, count=count)
        sent = len(rows)
        last = rows[-1] if rows else {}
        received = int(last.get("received", 0) or 0)
        avg = str(last.get("avg-rtt", "") or "")
        return {"address": address, "sent": sent, "received": received, "avg": avg}

    def pipeline(self, commands: list[tuple[str, dict]]) -> list[tuple[str, dict]]:
        """Send many commands before reading the answers (tagged), then read them all.

        Returns (reply, attrs) per command in order: reply is "!done" or "!trap"."""
        protocol = self.api.protocol
        try:
            for n, (cmd, values) in enumerate(commands):
                words = [f"={k}={_api_value(v)}" for k, v in _words(values).items()]
                protocol.writeSentence(cmd, *words, f".tag={n}")
            results: dict[int, tuple[str, dict]] = {}
            done = 0
            while done < len(commands):
                reply, raw = protocol.readSentence()
                attrs, tag = {}, -1
                for word in raw:
                    if word.startswith(".tag="):
                        tag = int(word[5:])
                    elif word.startswith("="):
                        key, _, value = word[1:].partition("=")
                        attrs[key] = value
                if reply == "!trap":
                    results[tag] = ("!trap", attrs)
                elif reply == "!done":
                    done += 1
                    results.setdefault(tag, ("!done", attrs))
        except Exception as exc:
            raise translate(exc, self.cfg) from None
        return [results[n] for n in range(len(commands))]


def _api_value(v) -> str:
    if v is True:
        return "yes"
    if v is False:
        return "no"
    return str(v)


def _words(values: dict) -> dict:
    return {k.replace("_", "-"): v for k, v in values.items()}


def probe(router_or_cfg) -> dict:
    """Identity, version, uptime, board and the login method that worked."""
    with session(router_or_cfg) as client:
        return {**client.identity(), "login_method": client.login_method}
