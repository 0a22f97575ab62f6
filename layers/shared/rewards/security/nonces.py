"""OAuth nonces: each (consumer key, nonce) is accepted once while its timestamp is in the window."""

from __future__ import annotations

from rewards.adapters.dynamo import Table, TransactionRefused, to_attr


class NonceStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    def remember(self, consumer_key: str, nonce: str, *, now: int, expires_at: int, request_id: str) -> bool:
        """Record the nonce for ``request_id``; False when another request already used it and its
        record has not expired.

        DynamoDB deletes expired items lazily, so an expired record counts as absent. A record of the
        same request is this request's own earlier write whose answer was lost (the SDK re-sent it).
        """
        key = f"{consumer_key}#{nonce}"
        try:
            self.table.put(
                {"pk": key, "expiresAt": expires_at, "requestId": request_id},
                condition="attribute_not_exists(pk) OR expiresAt < :now",
                ExpressionAttributeValues={":now": to_attr(now)},
            )
        except TransactionRefused:
            item = self.table.get(key, None)
            return item is not None and item.get("requestId") == request_id
        return True
