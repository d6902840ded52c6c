"""Keyed pseudonymisation (HMAC-SHA-256 with one secret per association).

Names and NIR are dropped by the readers; the identifiers that must stay linkable (vendor file
number of a person, NIR of an employee) become a keyed hash before anything is written. The
secret lives outside the repository, in a file of mode 0600 created on first use.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import stat
from pathlib import Path

import pyarrow as pa

from pipelines.errors import ConfigError

KEY_HEX_CHARS = 32  # 128 bits: collision-free at any association's scale, half the storage


def load_or_create_secret(path: Path) -> bytes:
    """Read the association secret, creating it (32 random bytes, mode 0600) on first use."""
    path = Path(path).expanduser()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32) + "\n")
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise ConfigError(
            f"{path} : le secret de pseudonymisation est lisible par d'autres utilisateurs "
            f"(droits {mode:o}). Corrigez avec : chmod 600 {path}"
        )
    value = path.read_text(encoding="ascii").strip()
    if len(value) < 32:
        raise ConfigError(f"{path} : le secret de pseudonymisation est trop court (32 caractères au moins).")
    return value.encode("ascii")


class Pseudonymiser:
    """Turns an identifier into a stable pseudonymous key, per association and per domain."""

    def __init__(self, secret: bytes):
        self._secret = secret

    def key(self, value: str | int | None, domain: str) -> str | None:
        if value is None:
            return None
        text = str(value).strip()
        if not text:
            return None
        digest = hmac.new(self._secret, f"{domain}\x1f{text}".encode(), hashlib.sha256)
        return digest.hexdigest()[:KEY_HEX_CHARS]

    def keys(self, values: pa.Array | list, domain: str) -> pa.Array:
        """Vectorised form for Arrow columns (one C-level HMAC per distinct value)."""
        pylist = values.to_pylist() if isinstance(values, pa.Array | pa.ChunkedArray) else values
        cache: dict = {}
        out = []
        for value in pylist:
            if value not in cache:
                cache[value] = self.key(value, domain)
            out.append(cache[value])
        return pa.array(out, pa.string())
