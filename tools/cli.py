"""What every command of tools/ shares: exit 2 with one line for a usage or environment problem,
1 only for the finding a command exists to report, and never a traceback for a user's mistake."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import NoReturn

EXIT_PROBLEM = 2


class Problem(Exception):
    """A usage or environment problem, said in one line."""


class Parser(argparse.ArgumentParser):
    """argparse, with a usage error said in one line."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_PROBLEM, f"{self.prog}: error: {message} (--help lists the options)\n")


def aws_problem(error: BaseException) -> str | None:
    """One line for the AWS errors a user causes (no region, no credentials, nothing listening, no such thing)."""
    from botocore import exceptions

    if isinstance(error, exceptions.NoRegionError):
        return "no AWS region: set AWS_DEFAULT_REGION, or pass --region"
    if isinstance(error, exceptions.NoCredentialsError | exceptions.PartialCredentialsError):
        return "no AWS credentials: configure a profile (aws configure) and set AWS_PROFILE, or pass --profile"
    if isinstance(error, exceptions.ProfileNotFound):
        return str(error)
    if isinstance(error, exceptions.EndpointConnectionError | exceptions.ConnectionClosedError):
        where = getattr(error, "kwargs", {}).get("endpoint_url", "the endpoint")
        return f"cannot reach {where} (the local stack: make run)"
    if isinstance(error, exceptions.ClientError):
        details = error.response.get("Error", {})
        return f"{error.operation_name}: {details.get('Code', 'error')}: {details.get('Message', '')}".rstrip(": ")
    return None


def _causes(error: BaseException) -> list[BaseException]:
    """The error and what it was raised from (the adapters wrap botocore's errors in domain ones)."""
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__
    return chain


def run(main: Callable[[list[str] | None], int], argv: list[str] | None = None) -> int:
    """Run a command's main; a problem becomes one line on stderr and exit status 2."""
    try:
        return main(argv)
    except Problem as problem:
        message = str(problem)
    except (FileNotFoundError, IsADirectoryError, PermissionError) as error:
        message = f"{error.strerror}: {error.filename}"
    except KeyboardInterrupt:
        return 130
    except Exception as error:
        found = next(filter(None, (aws_problem(e) for e in _causes(error))), None)
        if found is None:
            raise
        message = found
    print(f"error: {message}", file=sys.stderr)
    return EXIT_PROBLEM
