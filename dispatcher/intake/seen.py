"""The numbers a campaign already has, in about 8 bytes each.

A Python set of the numbers costs about 70 bytes a number (an int object and a hash
slot): 350 MB for a 5,000,000-number campaign.  Here they are sorted 64-bit integers in
a few runs of doubling sizes (as in a log-structured merge tree): a batch is checked
against each run with a binary search, and its new numbers become a run, merged with
the previous ones while those are not larger.  Memory grows by 8 bytes a number (16
while the largest runs merge); time stays close to the set's, batch by batch."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

Keys = npt.NDArray[np.int64]


class SeenNumbers:
    def __init__(self) -> None:
        self._runs: list[Keys] = []

    def __len__(self) -> int:
        return sum(len(run) for run in self._runs)

    def first_time(self, numbers: Sequence[int]) -> list[bool]:
        """For each number, in order: True the first time it is seen (in this batch or
        any before), False when it is a repeat.  The new ones are remembered."""
        keys = np.fromiter(numbers, dtype=np.int64, count=len(numbers))
        if not len(keys):
            return []
        # The batch's distinct numbers, sorted: searching sorted needles walks each run
        # forwards instead of jumping about it (five times faster at a few million).
        distinct, first = np.unique(keys, return_index=True)
        new = np.ones(len(distinct), dtype=bool)
        for run in self._runs:
            at = np.searchsorted(run, distinct)
            at[at == len(run)] = len(run) - 1
            new &= run[at] != distinct
        self._remember(distinct[new])
        fresh = np.zeros(len(keys), dtype=bool)
        fresh[first[new]] = True  # the first of each new number in the batch
        return list(fresh.tolist())

    def _remember(self, run: Keys) -> None:
        if not len(run):
            return
        self._runs.append(run)
        while len(self._runs) > 1 and len(self._runs[-2]) <= len(self._runs[-1]):
            newer = self._runs.pop()
            older = self._runs.pop()
            merged = np.concatenate((older, newer))
            del older, newer
            merged.sort(kind="stable")
            self._runs.append(merged)
