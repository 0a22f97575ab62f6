"""Logger and Metrics singletons. Every log line passes through a card-number mask.

Tracing is Lambda's own (``Tracing: Active`` in template.yaml: a segment per invocation, with its
initialization and overhead), without the X-Ray SDK: the SDK and the patching of botocore cost about
a tenth of a bare function's cold start (docs/performance.md, "Cold start") for one subsegment per
AWS call."""

from __future__ import annotations

import logging
from typing import Any

from aws_lambda_powertools.logging import Logger
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter
from aws_lambda_powertools.metrics import Metrics

from rewards.cardnumbers import mask_card_numbers


class CardMaskingFormatter(LambdaPowertoolsFormatter):
    """JSON log lines with every card number (rewards.cardnumbers) replaced by its last four digits."""

    def serialize(self, log: Any) -> str:
        return mask_card_numbers(super().serialize(log))


_make_record = logging.getLogRecordFactory()


def _masked_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
    """Every log record of the process, the libraries' included (Powertools logs whole requests at
    DEBUG), has card numbers masked in its message and exception text before any handler sees it."""
    record = _make_record(*args, **kwargs)
    if isinstance(record.msg, str):
        try:
            record.msg, record.args = mask_card_numbers(record.getMessage()), None
        except (TypeError, ValueError):
            record.msg = mask_card_numbers(record.msg)
    if record.exc_info and record.exc_info[0] is not None:
        record.exc_text = mask_card_numbers(logging.Formatter().formatException(record.exc_info))
    return record


if getattr(_make_record, "__name__", "") != _masked_record.__name__:  # once, even if re-imported
    logging.setLogRecordFactory(_masked_record)

logger = Logger(logger_formatter=CardMaskingFormatter())
metrics = Metrics()
