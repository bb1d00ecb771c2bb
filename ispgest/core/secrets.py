"""Encrypting passwords at rest (Fernet: AES-128-CBC + HMAC-SHA256): the routers' API
passwords, the mailboxes' and the fiscal certificates'.

The key comes from settings.ISPGEST_SECRETS_KEY when set (a Fernet key), otherwise it is
derived from SECRET_KEY, so a database dump alone does not reveal the passwords. The derivation labels keep their first
names ("ispgest.network...") so passwords stored before stay readable. Rotating
SECRET_KEY without setting ISPGEST_SECRETS_KEY makes stored passwords unreadable (they must
be typed again), which fails safe.
"""

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


def _fernet() -> Fernet:
    key = getattr(settings, "ISPGEST_SECRETS_KEY", "")
    if not key:
        digest = hashlib.sha256(b"ispgest.network.router-password:" + settings.SECRET_KEY.encode())
        key = base64.urlsafe_b64encode(digest.digest()).decode()
    return Fernet(key.encode() if isinstance(key, str) else key)


def encrypt(plain: str) -> str:
    return _fernet().encrypt(plain.encode()).decode() if plain else ""


def decrypt(token: str) -> str:
    """The plain password, or "" when there is none or the key changed."""
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        return ""


def digest(plain: str) -> str:
    """A keyed fingerprint of a password: tells whether it changed without storing it."""
    key = hashlib.sha256(b"ispgest.network.digest:" + settings.SECRET_KEY.encode()).digest()
    return hmac.new(key, plain.encode(), hashlib.sha256).hexdigest()[:32]
