"""The entity's electronic certificate (PKCS#12) that authenticates submissions to the AEAT.

Uploaded once by an administrator; stored encrypted at rest (Fernet, like router passwords:
`core.secrets`), with its password encrypted apart, and never shown back: pages show the
holder, the NIF, the validity and the fingerprint only. At send time it is opened in memory
and handed to TLS through an anonymous in-memory file (Linux memfd), never written to disk.
"""

from __future__ import annotations

import base64
import os
import ssl
import tempfile
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from django.conf import settings
from django.utils import timezone

from ispgest.core import secrets
from ispgest.core.exceptions import DomainError

MAX_BYTES = 100 * 1024


class CertificateError(Exception):
    """The stored certificate cannot be used (Spanish message)."""


@dataclass
class CertificateInfo:
    subject: str
    nif: str
    not_before: datetime
    not_after: datetime
    fingerprint: str


def _name_attr(name: x509.Name, oid) -> str:
    found = name.get_attributes_for_oid(oid)
    return str(found[0].value) if found else ""


def _open(data: bytes, password: str):
    try:
        key, cert, chain = pkcs12.load_key_and_certificates(
            data, password.encode() if password else None
        )
    except ValueError:
        raise DomainError(
            "La contraseña del certificado no es correcta, o el archivo no es un certificado "
            "PKCS#12 (.p12/.pfx) válido.",
            field="certificate",
        ) from None
    if key is None or cert is None:
        raise DomainError(
            "El archivo no contiene a la vez el certificado y su clave privada.",
            field="certificate",
        )
    return key, cert, chain or []


def _info(cert: x509.Certificate) -> CertificateInfo:
    subject = cert.subject
    nif = _name_attr(subject, NameOID.SERIAL_NUMBER)
    # FNMT and other Spanish CAs write "IDCES-12345678Z" or "VATES-B12345678".
    for prefix in ("IDCES-", "VATES-"):
        if nif.upper().startswith(prefix):
            nif = nif[len(prefix) :]
    fingerprint = cert.fingerprint(hashes.SHA256()).hex(":").upper()
    return CertificateInfo(
        subject=subject.rfc4514_string()[:255],
        nif=nif[:20],
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        fingerprint=fingerprint,
    )


def inspect(data: bytes, password: str, *, now: datetime | None = None) -> CertificateInfo:
    """Check an uploaded PKCS#12 before it is stored; DomainError in Spanish when unusable."""
    if not data:
        raise DomainError("Elija el archivo del certificado.", field="certificate")
    if len(data) > MAX_BYTES:
        raise DomainError(
            "El archivo es demasiado grande para ser un certificado (máximo 100 KB).",
            field="certificate",
        )
    if data[:1] != b"\x30":  # a PKCS#12 is a DER SEQUENCE
        raise DomainError(
            "El archivo no es un certificado PKCS#12 (.p12/.pfx).", field="certificate"
        )
    _key, cert, _chain = _open(data, password)
    info = _info(cert)
    now = now or timezone.now()
    if info.not_after < now:
        raise DomainError(
            f"El certificado caducó el {timezone.localtime(info.not_after):%d/%m/%Y}: "
            "suba uno vigente.",
            field="certificate",
        )
    if info.not_before > now:
        raise DomainError(
            f"El certificado no es válido hasta el {timezone.localtime(info.not_before):%d/%m/%Y}.",
            field="certificate",
        )
    return info


def seal(data: bytes, password: str) -> tuple[str, str]:
    """(encrypted file, encrypted password) for storing."""
    return secrets.encrypt(base64.b64encode(data).decode()), secrets.encrypt(password or "-")


def unseal(issuer) -> tuple[bytes, str]:
    blob = secrets.decrypt(issuer.certificate)
    if not blob:
        raise CertificateError(
            "No hay certificado, o no se puede descifrar (cambió la clave ISPGEST_SECRETS_KEY): "
            "súbalo de nuevo."
        )
    password = secrets.decrypt(issuer.certificate_password)
    return base64.b64decode(blob), "" if password == "-" else password


def _memfile(data: bytes) -> tuple[str, int | None]:
    if hasattr(os, "memfd_create"):
        fd = os.memfd_create("ispgest-cert", 0)
        os.write(fd, data)
        return f"/proc/self/fd/{fd}", fd
    handle = tempfile.NamedTemporaryFile(delete=False)  # noqa: SIM115
    handle.write(data)
    handle.close()
    os.chmod(handle.name, 0o600)
    return handle.name, None


def client_context(issuer, *, now: datetime | None = None) -> ssl.SSLContext:
    """A TLS context presenting the issuer's certificate and verifying the agency's server
    (the system's CAs, or ISPGEST_VERIFACTU_CA_FILE). CertificateError in Spanish."""
    data, password = unseal(issuer)
    try:
        key, cert, chain = _open(data, password)
    except DomainError:
        raise CertificateError(
            "La contraseña guardada no abre el certificado: súbalo de nuevo con su contraseña."
        ) from None
    info = _info(cert)
    if info.not_after < (now or timezone.now()):
        raise CertificateError(
            f"El certificado caducó el {timezone.localtime(info.not_after):%d/%m/%Y}: suba uno "
            "vigente para reanudar los envíos (los registros esperan en la cola)."
        )
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ) + b"".join(c.public_bytes(serialization.Encoding.PEM) for c in [cert, *chain])
    ctx = ssl.create_default_context(cafile=settings.ISPGEST_VERIFACTU_CA_FILE or None)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    path, fd = _memfile(pem)
    try:
        ctx.load_cert_chain(path)
    finally:
        if fd is not None:
            os.close(fd)
        else:
            os.unlink(path)
    return ctx
