"""The settlement bucket (S3): files streamed up in parts, so a file of any length needs one part's
memory; manifests, reports and acknowledgements as small objects."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

PART_BYTES = 8 * 1024 * 1024  # S3's minimum part is 5 MiB (all parts but the last)


class S3SettlementBucket:
    def __init__(self, client: Any, name: str, part_bytes: int = PART_BYTES) -> None:
        self.client, self.name, self.part_bytes = client, name, part_bytes

    def write_lines(self, key: str, lines: Iterable[str]) -> tuple[str, int]:
        """One object from the lines, in parts of ``part_bytes``; (SHA-256 hex, size). A failure
        aborts the upload: nothing half-written is left under ``key``."""
        digest, size, buffer = hashlib.sha256(), 0, bytearray()
        upload = self.client.create_multipart_upload(
            Bucket=self.name, Key=key, ContentType="text/csv", ServerSideEncryption="aws:kms"
        )
        parts: list[dict[str, Any]] = []
        try:
            for line in lines:
                data = line.encode()
                digest.update(data)
                size += len(data)
                buffer += data
                if len(buffer) >= self.part_bytes:
                    parts.append(self._part(key, upload["UploadId"], len(parts) + 1, bytes(buffer)))
                    buffer.clear()
            if buffer or not parts:
                parts.append(self._part(key, upload["UploadId"], len(parts) + 1, bytes(buffer)))
            self.client.complete_multipart_upload(
                Bucket=self.name, Key=key, UploadId=upload["UploadId"], MultipartUpload={"Parts": parts}
            )
        except BaseException:
            self.client.abort_multipart_upload(Bucket=self.name, Key=key, UploadId=upload["UploadId"])
            raise
        return digest.hexdigest(), size

    def _part(self, key: str, upload_id: str, number: int, body: bytes) -> dict[str, Any]:
        answer = self.client.upload_part(Bucket=self.name, Key=key, UploadId=upload_id, PartNumber=number, Body=body)
        return {"ETag": answer["ETag"], "PartNumber": number}

    def write_json(self, key: str, document: Mapping[str, Any]) -> None:
        body = json.dumps(document, indent=2, sort_keys=True) + "\n"
        self.client.put_object(Bucket=self.name, Key=key, Body=body.encode(), ContentType="application/json")

    def write_text(self, key: str, text: str) -> None:
        self.client.put_object(Bucket=self.name, Key=key, Body=text.encode(), ContentType="text/csv")

    def read_text(self, key: str) -> str:
        return str(self.client.get_object(Bucket=self.name, Key=key)["Body"].read().decode())
