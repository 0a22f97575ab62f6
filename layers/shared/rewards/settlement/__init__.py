"""Rebates: the cash leg of PWR redemptions and DR CASHBACK lines (docs/settlement.md).

``records`` holds the domain records, ``files`` the settlement and acknowledgement file formats,
``ports`` what the use cases need from storage, ``service`` the use cases: record, settle,
acknowledge, reconcile. The rules (which outcome owes a rebate, business days, shards) are in
``rewards/rules/rebates.py``."""
