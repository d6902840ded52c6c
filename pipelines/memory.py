"""Give the memory a finished step freed back to the system before the next step starts dbt.

A run's peak is this process plus its dbt child. Arrow's pool (mimalloc) and glibc's heap keep the pages a
step freed (the read batches of the ingestion, the pandas frames of the quality checks), so without this the
process stayed at its high-water mark (~1.2 GB at the large benchmark profile) while dbt ran beside it.
"""

from __future__ import annotations

import ctypes
import gc

import pyarrow as pa


def release_memory() -> None:
    gc.collect()
    pa.default_memory_pool().release_unused()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: its allocator keeps what it keeps
        pass
