"""The reference point bank (docs/point-bank.md): a small signed HTTP service on 127.0.0.1 with its
own SQLite store, idempotent by key, with fault switches. ``python -m tools.point_bank --help``."""
