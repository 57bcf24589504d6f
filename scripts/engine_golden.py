"""Check or rewrite the engine golden files (tests/engines/golden/<engine>/<case>.expected.json).

    python scripts/engine_golden.py           # report cases whose answer differs; exit 1 if any
    python scripts/engine_golden.py --write   # rewrite expected files from the current engines

Rewriting is deliberate: review the diff before committing it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests" / "engines")]

from engine_harness import answer, expected_path, golden_cases  # noqa: E402

from attunio.engines import ENGINES  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--write", action="store_true", help="rewrite expected files")
    args = parser.parse_args()
    changed = 0
    for engine, request in golden_cases():
        got = answer(ENGINES[engine], request.read_bytes())
        target = expected_path(request)
        if target.exists() and target.read_bytes() == got:
            continue
        changed += 1
        print(f"{'wrote' if args.write else 'differs'}: {target.relative_to(ROOT)}")
        if args.write:
            target.write_bytes(got)
    return 0 if args.write or not changed else 1


if __name__ == "__main__":
    raise SystemExit(main())
