"""GET /authorizations against the length of the history: DynamoDB calls, items read and time for
an ``external_id`` lookup (goal: flat) and for the whole range, at 10, 100, 1,000 and 5,000
authorizations of one cardholder. In-process moto (its time grows with what it scans; DynamoDB's
does not): the counts are the result, the times show the shape.

    PYTHONPATH=layers/shared:. .venv/bin/python -m bench.history [--sizes 10,100,1000,5000]
"""

from __future__ import annotations

import argparse
import time

import bench.round_trips  # noqa: F401 - sets the benchmark environment (credentials, Powertools quiet)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10,100,1000,5000")
    sizes = [int(size) for size in parser.parse_args().sizes.split(",")]

    from moto import mock_aws
    from tests.integration.test_history_scale import ACCOUNT, RANGE, first_authorization, items_read, listing
    from tests.support import body, grow_history, load_config, provision_stack
    from tools import moto_idempotency, moto_projection

    from rewards import runtime

    moto_idempotency.install()
    moto_projection.install()
    print("GET /authorizations against the history's length (one cardholder, all in the date range)")
    columns = ("history", "external_id: calls", "items", "ms", "whole range: calls", "items", "ms")
    print("  {:>8s}  {:>18s} {:>6s} {:>8s}   {:>18s} {:>6s} {:>9s}".format(*columns))
    with mock_aws():
        runtime.reset()
        stack = provision_stack("bench")
        load_config(stack)
        first_authorization()
        grown, oldest = 1, "H000000000"
        for size in sorted(sizes):
            if size > grown:
                oldest = grow_history(stack, ACCOUNT, size - grown, after=grown - 1)[-1]
                grown = size
            started = time.perf_counter()
            with items_read() as lookup:
                found = body(listing(**RANGE, external_id=oldest))
            lookup_ms = (time.perf_counter() - started) * 1000
            assert [r["externalId"] for r in found] == [oldest]
            started = time.perf_counter()
            with items_read() as whole:
                listed = body(listing(**RANGE))
            whole_ms = (time.perf_counter() - started) * 1000
            assert len(listed) == size
            calls = sum(n for name, n in lookup.items() if name != "items")
            range_calls = sum(n for name, n in whole.items() if name != "items")
            print(
                f"  {size:8,d}  {calls:18d} {lookup['items']:6d} {lookup_ms:8.1f}   "
                f"{range_calls:18d} {whole['items']:6d} {whole_ms:9.1f}"
            )
        runtime.reset()


if __name__ == "__main__":
    main()
