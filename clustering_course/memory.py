"""The peak memory of a block of code, for the notebooks' and benchmarks' memory figures.

What a computation holds is its *anonymous* memory: on Linux ``RssAnon`` in
``/proc/self/status``. The process's resident set (RSS) also counts the pages of
memory-mapped files it has read, which are page cache the system drops when it needs
the room, so an out-of-core fit over a memory map would look as large as its data.
Elsewhere, RSS (``psutil``) is the fallback, with that caveat.

The C allocator keeps memory that was freed for reuse, and it stays resident: a
computation that follows a larger one would allocate into it and seem to need
nothing. :class:`PeakMemory` therefore asks the allocator to give its free memory back
(glibc's ``malloc_trim``) before it takes the starting value.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import threading
import time

__all__ = ["PeakMemory", "current_memory", "release_free_memory"]

_STATUS = "/proc/self/status"


def current_memory() -> tuple[int, str]:
    """The process's anonymous memory in bytes (Linux), else its RSS; and which it is."""
    if os.path.exists(_STATUS):
        with open(_STATUS) as status:
            for line in status:
                if line.startswith("RssAnon:"):
                    return int(line.split()[1]) * 1024, "RssAnon"
    import psutil

    return psutil.Process().memory_info().rss, "RSS"


def release_free_memory() -> bool:
    """Ask the C allocator to return its free memory to the system (glibc only)."""
    name = ctypes.util.find_library("c")
    try:
        return bool(ctypes.CDLL(name).malloc_trim(0)) if name else False
    except (OSError, AttributeError):
        return False


class PeakMemory:
    """Context manager: the peak memory above the value at entry, sampled in a thread.

    >>> with PeakMemory() as memory:
    ...     block = bytearray(50 * 2**20)
    >>> memory.peak_mib > 40
    True

    Attributes (after the block): ``peak_mib``, the peak above the value at entry in
    MiB; ``measure``, ``"RssAnon"`` or ``"RSS"``. Sampling every ``interval`` seconds
    can miss a spike shorter than that.
    """

    def __init__(self, interval: float = 0.005) -> None:
        self.interval = interval
        self.peak_mib = 0.0
        self.measure = ""

    def __enter__(self) -> PeakMemory:
        release_free_memory()
        self._start, self.measure = current_memory()
        self._peak = self._start
        self._running = True
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while self._running:
            self._peak = max(self._peak, current_memory()[0])
            time.sleep(self.interval)

    def __exit__(self, *exc_info) -> None:
        self._running = False
        self._thread.join()
        self._peak = max(self._peak, current_memory()[0])
        self.peak_mib = (self._peak - self._start) / 2**20
