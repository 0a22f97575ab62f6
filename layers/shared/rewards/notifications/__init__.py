"""Notifications from committed state: the outbox items of the ledger table, read from its stream,
become an SNS event, SES emails, SMS and Auth Notifier webhook deliveries (docs/notifications.md).

Pure modules: ``events`` (schema v1), ``routing`` (who gets what), ``rendering`` (email and SMS
content), ``signing`` (webhook HMAC), ``webhooks`` (delivery message, body, back-off).
AWS and HTTP live in ``adapters``; the use cases in ``service``; wiring in ``runtime``.
"""
