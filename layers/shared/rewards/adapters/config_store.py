"""The configuration table: programs and clients, cached in the container between invocations."""

from __future__ import annotations

import time
from collections.abc import Callable

from rewards.adapters.dynamo import Table
from rewards.models.config import Client, Program


class ConfigStore:
    def __init__(self, table: Table, ttl_seconds: int = 60, clock: Callable[[], float] = time.monotonic) -> None:
        self.table = table
        self.ttl = ttl_seconds
        self.clock = clock
        self._programs: dict[str, tuple[float, Program | None]] = {}
        self._clients: dict[str, tuple[float, Client | None]] = {}

    def program(self, program_id: str) -> Program | None:
        cached = self._programs.get(program_id)
        if cached and self.clock() - cached[0] < self.ttl:
            return cached[1]
        item = self.table.get(f"PROGRAM#{program_id}", "PROGRAM", consistent=False)
        program = Program.model_validate_json(item["document"]) if item else None
        self._programs[program_id] = (self.clock(), program)
        return program

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

    def save_client(self, client: Client) -> None:
        self.table.put({"pk": f"CLIENT#{client.clientId}", "sk": "CLIENT", "document": client.model_dump_json()})
        self._clients.pop(client.clientId, None)
