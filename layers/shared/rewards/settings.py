"""Function configuration from environment variables (set by template.yaml, or by the local stack)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache


@dataclass(frozen=True)
class Settings:
    ledger_table: str
    config_table: str
    auth_queue_url: str | None
    pan_hash_key_param: str | None
    config_cache_seconds: int

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            ledger_table=os.environ["LEDGER_TABLE_NAME"],
            config_table=os.environ["CONFIG_TABLE_NAME"],
            auth_queue_url=os.environ.get("AUTH_QUEUE_URL"),
            pan_hash_key_param=os.environ.get("PAN_HASH_KEY_PARAM"),
            config_cache_seconds=int(os.environ.get("CONFIG_CACHE_SECONDS", "60")),
        )


@cache
def settings() -> Settings:
    return Settings.from_env()
