"""Logger, Metrics and Tracer singletons. Every log line passes through a card-number mask."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

from rewards.cardnumbers import mask_card_numbers


class CardMaskingFormatter(LambdaPowertoolsFormatter):
    """JSON log lines with any Luhn-valid 12-19 digit run replaced by its last four digits."""

    def serialize(self, log: Any) -> str:
        return mask_card_numbers(super().serialize(log))


logger = Logger(logger_formatter=CardMaskingFormatter())
metrics = Metrics()
tracer = Tracer()
