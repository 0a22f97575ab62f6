"""OAuth nonces: each (consumer key, nonce) is accepted once while its timestamp is in the window."""

from __future__ import annotations

from rewards.adapters.dynamo import Table, TransactionRefused, to_attr


class NonceStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    def remember(self, consumer_key: str, nonce: str, *, now: int, expires_at: int) -> bool:
        """Record the nonce; False when it was already used and its record has not expired.

        DynamoDB deletes expired items lazily, so an expired record counts as absent.
        """
        try:
            self.table.put(
                {"pk": f"{consumer_key}#{nonce}", "expiresAt": expires_at},
                condition="attribute_not_exists(pk) OR expiresAt < :now",
                ExpressionAttributeValues={":now": to_attr(now)},
            )
        except TransactionRefused:
            return False
        return True
