"""A throwaway Dovecot IMAP server for tests: a config, a passwd-file user and a Maildir
under a temporary folder, listening on a free loopback port.

Run as root (CI), Dovecot refuses root for its login processes and for mail users: the
login processes run as `dovenull`, the internal ones as `dovecot`, and the Maildir belongs
to the `dovecot` user. Those users cannot enter pytest's private temporary folders (pytest
keeps /tmp/pytest-of-root at mode 0700), so the server's folder is then a fresh
`/tmp/ispgest-dovecot-*` (reachable from the test's folder by the link `dovecot`), removed
by `cleanup()`. Run as any other user, everything runs as that user in the given folder.
"""

from __future__ import annotations

import grp
import imaplib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"

CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{root}/mail/%u
first_valid_uid = {uid}
first_valid_gid = {gid}
default_internal_user = {internal_user}
default_internal_group = {internal_group}
default_login_user = {login_user}
mail_max_userip_connections = 50
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
  chroot =
}}
service anvil {{
  chroot =
}}
service stats {{
  unix_listener stats-reader {{
    mode = 0666
  }}
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {root}/passwd
}}
"""


def available() -> bool:
    return os.path.exists(DOVECOT)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Dovecot:
    user = "buzon@isp.test"
    password = "secreto-imap"
    host = "127.0.0.1"

    def __init__(self, root: Path):
        self.link = None
        if os.geteuid() == 0:
            import tempfile

            real = Path(tempfile.mkdtemp(prefix="ispgest-dovecot-"))
            real.chmod(0o711)
            Path(root).parent.mkdir(parents=True, exist_ok=True)
            Path(root).symlink_to(real)
            self.link, root = Path(root), real
        self.root = Path(root)
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        if os.geteuid() == 0:
            account = pwd.getpwnam("dovecot")
            self.uid, self.gid = account.pw_uid, account.pw_gid
            internal = ("dovecot", grp.getgrgid(account.pw_gid).gr_name, "dovenull")
        else:
            self.uid, self.gid = os.getuid(), os.getgid()
            me = pwd.getpwuid(self.uid).pw_name
            internal = (me, grp.getgrgid(self.gid).gr_name, me)
        for sub in ("run", "state", "mail", "home"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        (self.root / "passwd").write_text(
            f"{self.user}:{{PLAIN}}{self.password}:{self.uid}:{self.gid}::"
            f"{self.root}/home/{self.user}::\n"
        )
        (self.root / "dovecot.conf").write_text(
            CONFIG.format(
                root=self.root,
                port=self.port,
                uid=min(self.uid, 500) if self.uid else 1,
                gid=min(self.gid, 500) if self.gid else 1,
                internal_user=internal[0],
                internal_group=internal[1],
                login_user=internal[2],
            )
        )
        if os.geteuid() == 0:
            for sub in ("mail", "home"):
                os.chown(self.root / sub, self.uid, self.gid)
            (self.root / "passwd").chmod(0o644)

    def start(self) -> None:
        self.proc = subprocess.Popen(  # noqa: S603
            [DOVECOT, "-F", "-c", str(self.root / "dovecot.conf")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                conn = imaplib.IMAP4(self.host, self.port, timeout=5)
                conn.logout()
                return
            except OSError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.1)
        raise RuntimeError(f"dovecot did not start: {self.log()}")

    def stop(self) -> None:
        if self.proc is None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex((self.host, self.port)) != 0:
                    return
            time.sleep(0.1)

    def cleanup(self) -> None:
        self.stop()
        if self.link is not None:
            shutil.rmtree(self.root, ignore_errors=True)

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""

    def connect(self) -> imaplib.IMAP4:
        for attempt in range(60):
            conn = imaplib.IMAP4(self.host, self.port, timeout=30)
            try:
                conn.login(self.user, self.password)
                return conn
            except imaplib.IMAP4.error as exc:
                # a loaded machine can make Dovecot's auth answer "[UNAVAILABLE]"
                conn.shutdown()
                if "UNAVAILABLE" not in str(exc) or attempt == 59:
                    raise AssertionError(f"{exc}; dovecot log: {self.log()}") from exc
                time.sleep(0.5)
        raise AssertionError("unreachable")

    def append(self, raw: bytes, folder: str = "INBOX") -> None:
        conn = self.connect()
        try:
            typ, data = conn.append(folder, None, None, raw)
            assert typ == "OK", data
        finally:
            conn.logout()

    def renumber(self, folder: str = "INBOX") -> None:
        """Give the folder a new UIDVALIDITY (as a server restore or migration does)."""
        subprocess.run(  # noqa: S603
            [
                shutil.which("doveadm") or "/usr/bin/doveadm",
                "-c",
                str(self.root / "dovecot.conf"),
                "force-resync",
                "-u",
                self.user,
                folder,
            ],
            check=False,
            capture_output=True,
        )
        uidlist = self.root / "mail" / self.user / "dovecot-uidlist"
        if uidlist.exists():
            uidlist.unlink()
