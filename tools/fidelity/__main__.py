from __future__ import annotations

import argparse
import sys

from tools import fidelity


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=fidelity.__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args(argv)
    text = fidelity.render()
    if args.check:
        if not fidelity.REPORT_FILE.exists() or fidelity.REPORT_FILE.read_text() != text:
            print("docs/api-fidelity.md is out of date: run `make openapi`", file=sys.stderr)
            return 1
        return 0
    fidelity.REPORT_FILE.write_text(text)
    print("wrote docs/api-fidelity.md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
