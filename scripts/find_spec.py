#!/usr/bin/env python3
"""Print the path of Sigma's spec for the tests, or say in one line how to provide it.

    python scripts/find_spec.py              # offline: $SIGMA_OPENAPI_SPEC, ../shared/openapi/, the cache
    python scripts/find_spec.py --download   # and else download the locked release (sha256-checked) into the cache

Exit codes: 0 found (the path on stdout), 3 not found or not the locked release (the reason on stderr).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _codegen.spec_source import SpecNotFound, download_locked, find_spec


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--download", action="store_true", help="download the locked release when none is found")
    args = parser.parse_args(argv)
    try:
        try:
            path = find_spec()
        except SpecNotFound:
            if not args.download:
                raise
            path = download_locked()
    except SpecNotFound as exc:
        print(exc, file=sys.stderr)
        return 3
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
