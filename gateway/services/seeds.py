"""Encryption at rest of the secrets the gateway must be able to read back: TOTP seeds, and
the secrets of access keys (verifying a SigV4 signature needs the secret itself).

Both are sealed with AES-256-GCM (`cryptography`), under a key derived with HKDF-SHA256 from
the configured secret (`GATEWAY_SECRET_KEY`). Each seal has a fresh 96-bit nonce and binds what
it belongs to as associated data, a device's serial number (an ARN) or an access key's id
(`AKIA…`/`ASIA…`), so a ciphertext copied onto another row does not open. Every replica must be
given the same secret.

With no secret configured, a random one is created once in a key file beside the database
(`gateway.key`, readable by its owner only) so that `make run` works out of the box; real
deployments set `GATEWAY_SECRET_KEY` (a file cannot be shared by replicas).
"""

from __future__ import annotations

import base64
import logging
import os
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from gateway.config import Settings, data_directory

VERSION = "v1"
NONCE_BYTES = 12
MIN_SECRET_LENGTH = 16
DEFAULT_KEY_FILE = "gateway.key"

logger = logging.getLogger(__name__)


class SeedCipher:
    """Seals and opens TOTP seeds with the gateway's secret."""

    def __init__(self, secret: str) -> None:
        if len(secret) < MIN_SECRET_LENGTH:
            raise ValueError(
                f"GATEWAY_SECRET_KEY must be at least {MIN_SECRET_LENGTH} characters long"
            )
        key = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=b"gateway totp seeds v1"
        ).derive(secret.encode())
        self._aead = AESGCM(key)

    def seal(self, seed: str, serial_number: str) -> str:
        """`seed` encrypted for the device `serial_number`, as text for the database."""
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, seed.encode(), serial_number.encode())
        return f"{VERSION}:{base64.b64encode(nonce + sealed).decode()}"

    def open(self, ciphertext: str, serial_number: str) -> str:
        """The seed `seal` sealed for `serial_number`; ValueError if it was not sealed with this
        secret for that device (a wrong key, or a row tampered with)."""
        version, _, payload = ciphertext.partition(":")
        if version != VERSION:
            raise ValueError("unknown seed encryption version")
        raw = base64.b64decode(payload)
        try:
            plain = self._aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], serial_number.encode())
        except InvalidTag:
            raise ValueError("the seed cannot be decrypted with this secret key") from None
        return plain.decode()


def cipher_for(settings: Settings) -> SeedCipher:
    """The cipher of a gateway process: its configured secret, else the local key file's."""
    if settings.secret_key is not None:
        return SeedCipher(settings.secret_key)
    return SeedCipher(key_file_secret(key_file_path(settings.database_url)))


def key_file_path(database_url: str) -> Path:
    """Where the generated secret lives: beside an SQLite database file, else the working
    directory."""
    return data_directory(database_url) / DEFAULT_KEY_FILE


def key_file_secret(path: Path) -> str:
    """The secret stored in `path`, created (owner-only) on first use."""
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    secret = secrets.token_urlsafe(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it first: use theirs
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(secret + "\n")
    logger.warning(
        "GATEWAY_SECRET_KEY is not set: TOTP seeds are encrypted with a new key kept in %s "
        "(fine for one local gateway; replicas need GATEWAY_SECRET_KEY)",
        path,
    )
    return secret
