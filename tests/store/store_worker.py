"""A separate process that writes to a store: used by the concurrency and kill tests.

python store_worker.py write URL BLOBS NAME N START_FILE
    waits for START_FILE, then makes N audited writes: each adds a user and increments a
    shared counter (the owner field of system 1), a read-modify-write that loses updates
    unless writers are serialised.
python store_worker.py hang URL BLOBS
    starts a write, inserts rows, prints READY and sleeps inside the open transaction.
"""

from __future__ import annotations

import importlib.util
import sys
import time
import types
from pathlib import Path

# Load assay.store without running assay/__init__.py, which imports the evaluation engine
# (scipy, polars): ten processes starting at once on a 2-core runner would spend most of the
# test importing code that the store never uses.
_spec = importlib.util.find_spec("assay")
assert _spec is not None
assert _spec.submodule_search_locations is not None
_pkg = types.ModuleType("assay")
_pkg.__path__ = list(_spec.submodule_search_locations)
sys.modules.setdefault("assay", _pkg)

from store_helpers import NOW, user_values  # noqa: E402

from assay.store import Store, tables  # noqa: E402


def write(url: str, blobs: str, name: str, n: int, start_file: str) -> None:
    store = Store(url, blob_dir=Path(blobs))
    while not Path(start_file).exists():
        time.sleep(0.01)
    for i in range(n):
        with store.write(
            actor=name, action="worker.write", entity_type="system", entity_id=1
        ) as tx:
            tx.insert(tables.users, user_values(f"{name}-{i}"))
            current = tx.get(tables.ai_systems, 1)
            assert current is not None
            tx.update(tables.ai_systems, 1, {"owner": str(int(current["owner"]) + 1)})
    store.dispose()


def hang(url: str, blobs: str) -> None:
    store = Store(url, blob_dir=Path(blobs))
    with store.write(actor="victim", action="system.add", entity_type="system") as tx:
        values = {
            "name": "half-written",
            "purpose": "never committed",
            "owner": "nobody",
            "risk_tier": "unassessed",
            "lifecycle_status": "development",
            "generative": False,
            "created_at": NOW,
            "created_by": "victim",
            "updated_at": NOW,
            "updated_by": "victim",
        }
        tx.insert(tables.ai_systems, values)
        tx.insert(tables.users, user_values("half-written-user"))
        print("READY", flush=True)
        time.sleep(120)


if __name__ == "__main__":
    if sys.argv[1] == "write":
        write(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), sys.argv[6])
    else:
        hang(sys.argv[2], sys.argv[3])
