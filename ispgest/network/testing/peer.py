"""A RouterOS API peer on a loopback port, for the tests and the benchmark.

It speaks the API wire protocol (length-prefixed words, sentences ended by an empty word,
`.tag`, `!re`, `!done`, `!trap`, `!fatal` and, as RouterOS 7.18+ does, `!empty` for a print
without rows), both logins (plain, 6.43+; the legacy MD5 challenge), optionally over TLS,
and keeps its own state for the menus ispgest uses: /ppp/secret, /ppp/active, /ppp/profile,
/ip/pool, /ip/firewall/address-list, /interface, /ping, /system/resource and
/system/identity, with `?` queries (the RPN stack of RouterOS) and `.proplist`.

As on RouterOS, a PPPoE session (a /ppp/active row) has a dynamic interface
`<pppoe-USER>` (type `pppoe-in`, a new `.id` per session) whose `rx-byte`/`tx-byte`
counters start at zero and go away with the session: `add_traffic` makes them grow
(the router's rx is what the client sends, its upload; tx is the client's download).

With `legacy_login` it logs in as RouterOS before 6.43 does: a `/login` without `=response=`
(bare, or the plain one with `=name=` and `=password=`, whose password it ignores) gets
`!done =ret=<challenge>` and no session; only the MD5 response to that challenge logs in.
`login_words` keeps the attribute names of every `/login` received, in order.

Faults: `drop_after` closes the connection after that many command sentences (counted
from the login on), `delay` waits before each answer, `silent` accepts connections and never
answers, and an `add` with a name already used traps as RouterOS does.

    peer = RouterOSPeer(username="api", password="pw").start()
    ... librouteros.connect("127.0.0.1", "api", "pw", port=peer.port)
    peer.stop()
"""

from __future__ import annotations

import hashlib
import os
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field

MENUS = (
    "/ppp/secret",
    "/ppp/active",
    "/ppp/profile",
    "/ip/pool",
    "/ip/firewall/address-list",
    "/interface",
)
# Menus whose rows are unique by name (an add with a used name traps).
UNIQUE_NAME = {"/ppp/secret", "/ppp/profile", "/ip/pool"}


def encode_length(n: int) -> bytes:
    if n < 0x80:
        return n.to_bytes(1, "big")
    if n < 0x4000:
        return (n | 0x8000).to_bytes(2, "big")
    if n < 0x200000:
        return (n | 0xC00000).to_bytes(3, "big")
    if n < 0x10000000:
        return (n | 0xE0000000).to_bytes(4, "big")
    return b"\xf0" + n.to_bytes(4, "big")


def encode_sentence(words: list[str]) -> bytes:
    out = bytearray()
    for word in words:
        raw = word.encode()
        out += encode_length(len(raw)) + raw
    out += b"\x00"
    return bytes(out)


class _Closed(Exception):
    pass


class _Reader:
    def __init__(self, sock):
        self.sock = sock
        self.buf = bytearray()

    def _read(self, n: int) -> bytes:
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise _Closed
            self.buf += chunk
        data = bytes(self.buf[:n])
        del self.buf[:n]
        return data

    def word(self) -> str:
        first = self._read(1)[0]
        if first < 0x80:
            n = first
        elif first < 0xC0:
            n = ((first & 0x3F) << 8) | self._read(1)[0]
        elif first < 0xE0:
            n = ((first & 0x1F) << 16) | int.from_bytes(self._read(2), "big")
        elif first < 0xF0:
            n = ((first & 0x0F) << 24) | int.from_bytes(self._read(3), "big")
        else:
            n = int.from_bytes(self._read(4), "big")
        return self._read(n).decode(errors="replace")

    def sentence(self) -> list[str]:
        words = []
        while (w := self.word()) != "":
            words.append(w)
        return words


class Trap(Exception):
    def __init__(self, message: str, category: int | None = None):
        super().__init__(message)
        self.message = message
        self.category = category


@dataclass
class PeerState:
    identity: str = "MikroTik"
    version: str = "7.16.2 (stable)"
    uptime: str = "1w2d03:04:05"
    rows: dict[str, list[dict[str, str]]] = field(default_factory=lambda: {m: [] for m in MENUS})
    # indexes over `rows`: menu -> name -> row (unique-name menus), menu -> .id -> row
    by_name: dict[str, dict[str, dict]] = field(default_factory=lambda: {m: {} for m in MENUS})
    by_id: dict[str, dict[str, dict]] = field(default_factory=lambda: {m: {} for m in MENUS})
    next_id: int = 1
    # address -> (received out of 4, average ms); an address not listed does not answer.
    reachable: dict[str, tuple[int, int]] = field(default_factory=dict)


def _match(row: dict[str, str], queries: list[str]) -> bool:
    """Evaluate the `?` words of a print as RouterOS does: a stack of booleans."""
    stack: list[bool] = []
    for q in queries:
        body = q[1:]
        if body.startswith("#"):
            for op in body[1:]:
                if op == "!":
                    stack.append(not stack.pop())
                elif op in "|&":
                    b, a = stack.pop(), stack.pop()
                    stack.append(a or b if op == "|" else a and b)
                elif op.isdigit():
                    stack.append(stack[-1 - int(op)])
                elif op == ".":
                    stack.append(stack[-1])
            continue
        if body.startswith("="):
            body = body[1:]
        if body.startswith("-"):
            stack.append(body[1:] not in row)
        elif body.startswith(("<", ">")):
            key, _, value = body[1:].partition("=")
            have = row.get(key)
            try:
                a, b = int(have or 0), int(value)
            except ValueError:
                a, b = have or "", value
            stack.append(have is not None and (a < b if body[0] == "<" else a > b))
        elif "=" in body:
            key, _, value = body.partition("=")
            stack.append(row.get(key) == value)
        else:
            stack.append(body in row)
    return all(stack)


class RouterOSPeer:
    def __init__(
        self,
        *,
        username: str = "api",
        password: str = "api-pass",  # noqa: S107 - the test peer's login
        legacy_login: bool = False,
        tls: ssl.SSLContext | None = None,
        version: str = "7.16.2 (stable)",
        identity: str = "MikroTik",
    ):
        self.username = username
        self.password = password
        self.legacy_login = legacy_login
        self.tls = tls
        self.state = PeerState(identity=identity, version=version)
        self.lock = threading.RLock()
        self.drop_after: int | None = None
        self.delay: float = 0.0
        self.silent = False
        self.commands: list[list[str]] = []  # every command sentence received (for asserts)
        self.logins = 0
        self.login_words: list[list[str]] = []
        self._sock: socket.socket | None = None
        self._threads: list[threading.Thread] = []
        self._stop = threading.Event()
        self._conns: list[socket.socket] = []

    # -- life cycle -------------------------------------------------------------------------
    def start(self) -> RouterOSPeer:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)
        self._sock.settimeout(0.2)
        t = threading.Thread(target=self._accept_loop, daemon=True, name="routeros-peer")
        t.start()
        self._threads.append(t)
        return self

    @property
    def port(self) -> int:
        assert self._sock is not None
        return self._sock.getsockname()[1]

    def stop(self) -> None:
        self._stop.set()
        for conn in list(self._conns):
            try:
                conn.close()
            except OSError:
                pass
        if self._sock:
            self._sock.close()
        for t in self._threads:
            t.join(timeout=2)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # -- state helpers for tests ------------------------------------------------------------
    def rows(self, menu: str) -> list[dict[str, str]]:
        with self.lock:
            return [dict(r) for r in self.state.rows[menu]]

    def find(self, menu: str, **match) -> dict[str, str] | None:
        for row in self.rows(menu):
            if all(row.get(k) == str(v) for k, v in match.items()):
                return row
        return None

    def add_row(self, menu: str, **values) -> str:
        with self.lock:
            return self._add(menu, {k.replace("_", "-"): str(v) for k, v in values.items()})

    def connect_session(self, name: str, address: str = "", caller_id: str = "") -> str:
        """A client dials in: a /ppp/active row appears, with the secret's address."""
        secret = self.find("/ppp/secret", name=name)
        addr = address or (secret or {}).get("remote-address", "") or "100.64.0.10"
        with self.lock:
            ref = self.add_row(
                "/ppp/active",
                name=name,
                service="pppoe",
                address=addr,
                caller_id=caller_id or "AA:BB:CC:00:11:22",
                uptime="5m12s",
                encoding="",
            )
            self.add_row(
                "/interface",
                name=f"<pppoe-{name}>",
                type="pppoe-in",
                rx_byte=0,
                tx_byte=0,
                running="true",
                dynamic="true",
            )
        return ref

    def disconnect_session(self, name: str) -> None:
        """The client's session ends: its /ppp/active row and its interface go away."""
        with self.lock:
            for row in [r for r in self.state.rows["/ppp/active"] if r.get("name") == name]:
                self._remove("/ppp/active", row[".id"])

    def add_traffic(self, name: str, *, download: int = 0, upload: int = 0) -> None:
        """Bytes through the session of `name`: download grows the interface's tx-byte
        (the router sends them to the client), upload its rx-byte."""
        with self.lock:
            row = self._session_interface(name)
            if row is None:
                raise LookupError(f"no session for {name}")
            row["tx-byte"] = str(int(row["tx-byte"]) + download)
            row["rx-byte"] = str(int(row["rx-byte"]) + upload)

    def _session_interface(self, name: str) -> dict | None:
        iface = f"<pppoe-{name}>"
        return next((r for r in self.state.rows["/interface"] if r.get("name") == iface), None)

    # -- protocol ---------------------------------------------------------------------------
    def _accept_loop(self) -> None:
        assert self._sock is not None
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            t = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            t.start()
            self._threads.append(t)

    def _serve(self, conn: socket.socket) -> None:
        self._conns.append(conn)
        try:
            conn.settimeout(None)
            if self.tls:
                conn = self.tls.wrap_socket(conn, server_side=True)
            reader = _Reader(conn)
            logged_in = False
            challenge = ""
            count = 0
            while not self._stop.is_set():
                words = reader.sentence()
                if not words:
                    continue
                if self.silent:
                    continue
                if self.delay:
                    time.sleep(self.delay)
                count += 1
                if logged_in and self.drop_after is not None and count > self.drop_after:
                    conn.close()
                    return
                cmd, attrs, queries, tag = self._parse(words)
                if cmd == "/login":
                    reply, challenge, ok = self._login(attrs, challenge)
                    logged_in = logged_in or ok
                    conn.sendall(b"".join(encode_sentence(s + tag) for s in reply))
                    if reply[-1][0] == "!fatal":
                        conn.close()
                        return
                    if ok:
                        count = 0
                    continue
                if not logged_in:
                    conn.sendall(encode_sentence(["!fatal", "not logged in"]))
                    conn.close()
                    return
                if cmd == "/quit":
                    conn.sendall(encode_sentence(["!fatal", "session terminated on request"]))
                    conn.close()
                    return
                with self.lock:
                    self.commands.append(words)
                    reply = self._run(cmd, attrs, queries)
                conn.sendall(b"".join(encode_sentence(s + tag) for s in reply))
        except (_Closed, OSError, ssl.SSLError):
            pass
        finally:
            try:
                conn.close()
            except OSError:
                pass

    @staticmethod
    def _parse(words: list[str]):
        cmd = words[0]
        attrs: dict[str, str] = {}
        queries: list[str] = []
        tag: list[str] = []
        for w in words[1:]:
            if w.startswith(".tag="):
                tag = [w]
            elif w.startswith("="):
                key, _, value = w[1:].partition("=")
                attrs[key] = value
            elif w.startswith("?"):
                queries.append(w)
        return cmd, attrs, queries, tag

    def _login(self, attrs, challenge):
        with self.lock:
            self.login_words.append(sorted(attrs))
        if self.legacy_login:
            if "response" not in attrs:
                challenge = os.urandom(16).hex()
                return [["!done", f"=ret={challenge}"]], challenge, False
            digest = hashlib.md5(  # noqa: S324 - the RouterOS legacy login is MD5
                b"\x00" + self.password.encode() + bytes.fromhex(challenge)
            ).hexdigest()
            ok = attrs.get("name") == self.username and attrs["response"] == "00" + digest
        else:
            if "password" not in attrs:
                # A 6.43+ router answers a bare /login as a legacy one would not: refuse it.
                return [["!trap", "=message=invalid user name or password (6)"]], "", False
            ok = attrs.get("name") == self.username and attrs["password"] == self.password
        if not ok:
            return [["!trap", "=message=invalid user name or password (6)"], ["!done"]], "", False
        self.logins += 1
        return [["!done"]], "", True

    def _run(self, cmd: str, attrs: dict[str, str], queries: list[str]) -> list[list[str]]:
        menu, _, action = cmd.rpartition("/")
        try:
            if cmd == "/system/identity/print":
                return [["!re", f"=name={self.state.identity}"], ["!done"]]
            if cmd == "/system/resource/print":
                return [
                    [
                        "!re",
                        f"=version={self.state.version}",
                        f"=uptime={self.state.uptime}",
                        "=board-name=CHR",
                        "=cpu-load=3",
                    ],
                    ["!done"],
                ]
            if cmd == "/ping":
                return self._ping(attrs)
            if menu not in self.state.rows:
                raise Trap("no such command prefix", 0)
            if action == "print":
                return self._print(menu, attrs, queries)
            if action == "add":
                return [["!done", f"=ret={self._add(menu, attrs)}"]]
            if action == "set":
                self._set(menu, attrs)
                return [["!done"]]
            if action == "remove":
                self._remove(menu, attrs.get(".id", ""))
                return [["!done"]]
            raise Trap("no such command", 0)
        except Trap as trap:
            words = ["!trap", f"=message={trap.message}"]
            if trap.category is not None:
                words.insert(1, f"=category={trap.category}")
            return [words, ["!done"]]

    def _print(self, menu, attrs, queries):
        rows = [r for r in self.state.rows[menu] if _match(r, queries)]
        props = [p for p in attrs.get(".proplist", "").split(",") if p]
        if attrs.get("count-only") is not None:
            return [["!done", f"=ret={len(rows)}"]]
        out = []
        for row in rows:
            items = [(k, v) for k, v in row.items() if not props or k in props]
            out.append(["!re", *(f"={k}={v}" for k, v in items)])
        if not out and self._major_minor() >= (7, 18):
            out.append(["!empty"])
        out.append(["!done"])
        return out

    def _major_minor(self) -> tuple[int, int]:
        try:
            major, minor = self.state.version.split()[0].split(".")[:2]
            return int(major), int(minor)
        except ValueError:
            return (0, 0)

    def _add(self, menu: str, attrs: dict[str, str]) -> str:
        name = attrs.get("name")
        if menu in UNIQUE_NAME:
            if not name:
                raise Trap("failure: name must be set", 1)
            if name in self.state.by_name[menu]:
                what = menu.rsplit("/", 1)[-1]
                raise Trap(f"failure: {what} with the same name already exists", 1)
        row_id = f"*{self.state.next_id:X}"
        self.state.next_id += 1
        row = {".id": row_id, **{k: v for k, v in attrs.items() if not k.startswith(".")}}
        if menu == "/ppp/secret":
            row.setdefault("disabled", "false")
            row.setdefault("service", "any")
            row.setdefault("profile", "default")
        self.state.rows[menu].append(row)
        self.state.by_id[menu][row_id] = row
        if menu in UNIQUE_NAME:
            self.state.by_name[menu][name] = row
        return row_id

    def _lookup(self, menu: str, ref: str) -> dict[str, str]:
        row = self.state.by_id[menu].get(ref) or self.state.by_name[menu].get(ref)
        if row is None:
            raise Trap("no such item", 0)
        return row

    def _set(self, menu: str, attrs: dict[str, str]) -> None:
        row = self._lookup(menu, attrs.get(".id") or attrs.get("numbers", ""))
        name = attrs.get("name")
        if name and menu in UNIQUE_NAME and name != row.get("name"):
            if name in self.state.by_name[menu]:
                raise Trap("failure: item with the same name already exists", 1)
            self.state.by_name[menu].pop(row.get("name"), None)
            self.state.by_name[menu][name] = row
        for k, v in attrs.items():
            if k in (".id", "numbers"):
                continue
            if v == "" and k in ("remote-address", "local-address", "comment"):
                row.pop(k, None)
            else:
                row[k] = v

    def _remove(self, menu: str, refs: str) -> None:
        rows = [self._lookup(menu, ref) for ref in refs.split(",") if ref]
        for row in rows:
            self.state.rows[menu].remove(row)
            self.state.by_id[menu].pop(row[".id"], None)
            if self.state.by_name[menu].get(row.get("name")) is row:
                del self.state.by_name[menu][row["name"]]
            if menu == "/ppp/active":  # the session's dynamic interface goes with it
                iface = self._session_interface(row.get("name", ""))
                if iface is not None:
                    self._remove("/interface", iface[".id"])

    def _ping(self, attrs):
        address = attrs.get("address", "")
        count = int(attrs.get("count", "4") or 4)
        received, avg = self.state.reachable.get(address, (0, 0))
        received = min(received, count)
        out = []
        for seq in range(count):
            row = ["!re", f"=seq={seq}", f"=host={address}", f"=sent={seq + 1}"]
            ok = seq < received
            row.append(f"=received={min(seq + 1, received)}")
            row += [f"=time={avg}ms", "=size=56", "=ttl=64"] if ok else ["=status=timeout"]
            row.append(f"=packet-loss={100 - (100 * min(seq + 1, received)) // (seq + 1)}")
            if received:
                row.append(f"=avg-rtt={avg}ms")
            out.append(row)
        out.append(["!done"])
        return out


def self_signed_tls(common_name: str = "router.test"):
    """(server SSLContext, certificate PEM bytes, SHA-256 fingerprint hex) for a new cert."""
    import datetime
    import ipaddress
    import tempfile

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName(common_name), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    with tempfile.TemporaryDirectory() as tmp:
        cpath, kpath = os.path.join(tmp, "c.pem"), os.path.join(tmp, "k.pem")
        with open(cpath, "wb") as fh:
            fh.write(cert_pem)
        with open(kpath, "wb") as fh:
            fh.write(key_pem)
        ctx.load_cert_chain(cpath, kpath)
    fingerprint = cert.fingerprint(hashes.SHA256()).hex()
    return ctx, cert_pem, fingerprint
