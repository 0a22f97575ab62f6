"""The configuration table: programs and clients, cached in the container between invocations."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable, Mapping

from rewards.adapters.dynamo import Item, Key, Table, TransactionRefused, key, to_attr
from rewards.models.config import Client, Program


def program_key(program_id: str) -> Key:
    return f"PROGRAM#{program_id}", "PROGRAM"


class ConfigStore:
    def __init__(self, table: Table, ttl_seconds: int = 60, clock: Callable[[], float] = time.monotonic) -> None:
        self.table = table
        self.ttl = ttl_seconds
        self.clock = clock
        self._programs: dict[str, tuple[float, Program | None]] = {}
        self._clients: dict[str, tuple[float, Client | None]] = {}
        self._consumer_keys: dict[str, tuple[float, str | None]] = {}

    def program(self, program_id: str) -> Program | None:
        cached = self._programs.get(program_id)
        if cached and self.clock() - cached[0] < self.ttl:
            return cached[1]
        item = self.table.get(*program_key(program_id), consistent=False)
        program = Program.model_validate_json(item["document"]) if item else None
        self._programs[program_id] = (self.clock(), program)
        return program

    def uncached_programs(self, program_ids: Iterable[str]) -> list[Key]:
        """The keys of the programs not cached (or expired), to be read with other items."""
        now = self.clock()
        stale = [
            p for p in dict.fromkeys(program_ids) if p not in self._programs or now - self._programs[p][0] >= self.ttl
        ]
        return [program_key(p) for p in stale]

    def remember_programs(self, keys: Iterable[Key], found: Mapping[Key, Item]) -> None:
        """Cache the programs read for ``keys`` elsewhere (absent ones as unknown)."""
        for pk, sk in keys:
            item = found.get((pk, sk))
            program = Program.model_validate_json(item["document"]) if item else None
            self._programs[pk.removeprefix("PROGRAM#")] = (self.clock(), program)

    def client(self, client_id: str) -> Client | None:
        cached = self._clients.get(client_id)
        if cached and self.clock() - cached[0] < self.ttl:
            return cached[1]
        item = self.table.get(f"CLIENT#{client_id}", "CLIENT", consistent=False)
        client = Client.model_validate_json(item["document"]) if item else None
        self._clients[client_id] = (self.clock(), client)
        return client

    def save_program(self, program: Program) -> None:
        self.table.put({"pk": f"PROGRAM#{program.programId}", "sk": "PROGRAM", "document": program.model_dump_json()})
        self._programs.pop(program.programId, None)

    def client_for_consumer_key(self, consumer_key: str) -> Client | None:
        """The client a request-signing key is registered to (the key itself may be inactive)."""
        cached = self._consumer_keys.get(consumer_key)
        if cached and self.clock() - cached[0] < self.ttl:
            client_id = cached[1]
        else:
            item = self.table.get(*consumer_key_key(consumer_key), consistent=False)
            client_id = str(item["clientId"]) if item else None
            self._consumer_keys[consumer_key] = (self.clock(), client_id)
        return self.client(client_id) if client_id else None

    def save_client(self, client: Client) -> None:
        """Save the client and its consumer-key lookups; keys it no longer lists stop resolving.

        Raises ConsumerKeyTaken when another client already registered one of its keys.
        """
        previous = self.table.get(f"CLIENT#{client.clientId}", "CLIENT")
        old_keys = (
            {k.consumerKey for k in Client.model_validate_json(previous["document"]).consumerKeys}
            if previous
            else set()
        )
        new_keys = {k.consumerKey for k in client.consumerKeys}
        for consumer_key in sorted(new_keys):
            pk, sk = consumer_key_key(consumer_key)
            try:
                self.table.put(
                    {"pk": pk, "sk": sk, "clientId": client.clientId},
                    condition="attribute_not_exists(pk) OR clientId = :client",
                    ExpressionAttributeValues={":client": to_attr(client.clientId)},
                )
            except TransactionRefused:
                raise ConsumerKeyTaken(f"consumer key {consumer_key} is registered to another client") from None
        self.table.put({"pk": f"CLIENT#{client.clientId}", "sk": "CLIENT", "document": client.model_dump_json()})
        for consumer_key in sorted(old_keys - new_keys):
            self._forget_consumer_key(consumer_key, client.clientId)
        self._clients.pop(client.clientId, None)

    def _forget_consumer_key(self, consumer_key: str, client_id: str) -> None:
        gone = self.table.client.exceptions.ConditionalCheckFailedException  # the key moved to another client
        with contextlib.suppress(gone):
            self.table.client.delete_item(
                TableName=self.table.name,
                Key=key(*consumer_key_key(consumer_key)),
                ConditionExpression="clientId = :client",
                ExpressionAttributeValues={":client": to_attr(client_id)},
            )
        self._consumer_keys.pop(consumer_key, None)


class ConsumerKeyTaken(ValueError):
    """A consumer key can identify one client only."""


def consumer_key_key(consumer_key: str) -> tuple[str, str]:
    return f"CONSUMERKEY#{consumer_key}", "CONSUMERKEY"
