"""Shared code of the Pay with Rewards + Digital Redemptions engine.

Layout: ``rules`` and ``models`` are pure (no AWS imports); ``adapters`` talk to
DynamoDB/SQS/SSM; ``services`` are the use cases the Lambda handlers call;
``http`` maps domain errors to the Mastercard error envelope in one place.
"""
