"""Channel credentials encrypted at rest with Fernet (AES-128-CBC + HMAC-SHA256, from the
`cryptography` library). The key comes from REGULARS_MESSAGING_KEY, else from the file
`messaging.key` under the data directory, made (mode 0600) on first use. Losing the key means
entering the channels' credentials again; nothing else depends on it (docs/messaging.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

from regulars.settings import Settings

KEY_FILE = "messaging.key"


class Vault:
    def __init__(self, key: bytes):
        self._fernet = Fernet(key)

    @classmethod
    def ephemeral(cls) -> Vault:
        return cls(Fernet.generate_key())

    @classmethod
    def for_settings(cls, settings: Settings) -> Vault:
        if settings.messaging_key:
            return cls(settings.messaging_key.encode())
        return cls(key_file(settings.var_dir))

    def seal(self, secrets: dict[str, Any]) -> bytes:
        return self._fernet.encrypt(json.dumps(secrets, sort_keys=True).encode())

    def open(self, token: bytes | None) -> dict[str, Any]:
        if not token:
            return {}
        try:
            value = json.loads(self._fernet.decrypt(token))
        except InvalidToken:
            raise ValueError("channel credentials were sealed with another key") from None
        return value if isinstance(value, dict) else {}


def key_file(var_dir: Path) -> bytes:
    path = var_dir / KEY_FILE
    if path.exists():
        return path.read_bytes().strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key()
    path.touch(mode=0o600)
    path.write_bytes(key)
    return key
