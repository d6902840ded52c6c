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
import pyarrow.compute as pc

from pipelines.errors import ConfigError

KEY_HEX_CHARS = 32  # 128 bits: collision-free at any association's scale, half the storage
MEMO_ENTRIES = 1 << 18  # keys remembered (~50 MB at most): persons, stays and staff recur from file to file


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
    """Turns an identifier into a stable pseudonymous key, per association and per domain. The readers share
    one per run: a key is computed once, the memo starting afresh when full (one key per act would fill it)."""

    def __init__(self, secret: bytes):
        self._keyed = hmac.new(secret, digestmod=hashlib.sha256)  # copied per value: the key is set up once
        self._memo: dict[tuple[str, str], str] = {}

    def key(self, value: str | int | None, domain: str) -> str | None:
        if value is None:
            return None
        text = str(value).strip()
        if not text:
            return None
        known = self._memo.get((domain, text))
        if known is None:
            digest = self._keyed.copy()
            digest.update(f"{domain}\x1f{text}".encode())
            if len(self._memo) >= MEMO_ENTRIES:
                self._memo.clear()
            known = self._memo[(domain, text)] = digest.hexdigest()[:KEY_HEX_CHARS]
        return known

    def keys(self, values: pa.Array, domain: str) -> pa.Array:
        """Vectorised form for an Arrow column: one HMAC per distinct value, nulls stay null."""
        encoded = pc.dictionary_encode(values)
        hashed = pa.array([self.key(value, domain) for value in encoded.dictionary.to_pylist()], pa.string())
        return pc.take(hashed, encoded.indices)
