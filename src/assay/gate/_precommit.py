"""The pre-commit hook: validate the policy files given on the command line.

``python -m assay.gate._precommit FILE...`` prints each problem (file, line and field) and exits 1
when any file is invalid, 0 otherwise.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from assay.errors import AssayError
from assay.policy import load_policy


def main(argv: Sequence[str] | None = None) -> int:
    """Validate every policy file in ``argv``; the exit status pre-commit reads."""
    failed = 0
    for path in sys.argv[1:] if argv is None else argv:
        try:
            load_policy(path)
        except AssayError as exc:
            failed += 1
            print(f"{path}: {exc}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
