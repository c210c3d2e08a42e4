"""The progress bar the examples share: tqdm when it is installed (the `examples` extra), else a
plain step counter on stderr, so that the examples also run with NumPy and matplotlib alone.

    bar = progress_bar(total=500, desc="run 1", enabled=True)
    for step in range(500):
        ...
        bar.set_postfix(loss="0.123")   # tqdm's call; the fallback ignores it
        bar.update(1)
    bar.close()
"""

from __future__ import annotations

import sys


class _Counter:
    """What is left of a bar without tqdm: "desc: n/total" on stderr every `every` steps."""

    def __init__(self, total: int, desc: str, enabled: bool, every: int = 100):
        self.n, self.total, self.desc, self.enabled, self.every = 0, total, desc, enabled, every

    def update(self, k: int = 1) -> None:
        self.n += k
        if self.enabled and (self.n % self.every == 0 or self.n == self.total):
            print(f"\r{self.desc}: {self.n}/{self.total}", end="", file=sys.stderr, flush=True)

    def set_postfix(self, **kwargs) -> None:
        pass

    def close(self) -> None:
        if self.enabled and self.n:
            print(file=sys.stderr)


def progress_bar(total: int, desc: str = "", enabled: bool = True, leave: bool = True):
    """A bar over `total` steps on stderr; `enabled=False` (the examples' --no-progress) shows nothing."""
    try:
        from tqdm import tqdm
    except ImportError:
        return _Counter(total, desc, enabled)
    return tqdm(total=total, desc=desc, disable=not enabled, leave=leave, file=sys.stderr, dynamic_ncols=True)
