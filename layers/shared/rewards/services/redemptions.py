"""Digital Redemptions use cases on one object, as the handler calls them:

- ``redeem`` (CASHBACK, MERCHANDISE, TRAVEL): ``redemption_creation.py``, priced by ``redemption_pricing.py``
- ``statement_credit`` (STATEMENT_CREDIT, PWR model 2): ``statement_credits.py``
- ``credit`` (reverse a line in full or in part): ``redemption_credits.py``
- ``history`` (GET /redemptions and its next_token): ``redemption_history.py``
- ``update_status`` (the fulfilment partner's report on a line): ``redemption_status.py``

Fingerprints, business keys and replays of retried requests are in ``redemption_replay.py``.
"""

from __future__ import annotations

from rewards.services.redemption_creation import RedemptionCreation
from rewards.services.redemption_history import MAX_DATE_RANGE_DAYS, RedemptionHistoryListing
from rewards.services.redemption_status import RedemptionStatusReports
from rewards.services.statement_credits import StatementCredits

__all__ = ["MAX_DATE_RANGE_DAYS", "RedemptionService"]


class RedemptionService(RedemptionCreation, StatementCredits, RedemptionStatusReports, RedemptionHistoryListing):
    """Every DR use case over one ledger, configuration, card hasher and clock."""
