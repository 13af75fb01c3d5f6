"""Who boards a shared vehicle at a call: allocations first, then first come, first served.

Pure functions of the waiting units, so they can be checked by hand.  Space is in the
service's units (TEU, or wagons); each group's units take ``space`` each.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

EPS = 1e-9  # space is a float (TEU): a load that fits exactly must not be refused by rounding


@dataclass(frozen=True)
class Waiting:
    """One route's units waiting at a call.

    ``ready`` holds when each became ready, oldest first (at most what could fit);
    ``reserved`` the space its allocation keeps for it at this call; ``limit`` the most the
    vehicle may hold once one of its units has boarded: the capacity less the space kept
    for routes loading further on while this cargo is still aboard.
    """

    ready: np.ndarray
    space: float
    reserved: float
    limit: float


def board(groups: list[Waiting], used: float) -> list[int]:
    """How many units of each group board a vehicle holding ``used`` space already.

    First each group fills its reserved space (in the order given), then the rest of the
    room goes to the units in the order they became ready, whichever route they belong to
    (ties: the order given).  A unit that does not fit stops its own route's loading (its
    units stay in order), not the others'.
    """
    n = [0] * len(groups)
    for i, g in enumerate(groups):
        room = min(g.reserved, g.limit - used)
        if room > EPS:
            n[i] = min(g.ready.size, int(room / g.space + EPS))
            used += n[i] * g.space
    space = np.array([g.space for g in groups], dtype=np.float64)
    limit = np.array([g.limit for g in groups], dtype=np.float64)
    active = [i for i, g in enumerate(groups) if n[i] < g.ready.size]
    while active:
        times = np.concatenate([groups[i].ready[n[i]:] for i in active])
        who = np.concatenate([np.full(groups[i].ready.size - n[i], i, dtype=np.int64) for i in active])
        who = who[np.argsort(times, kind="stable")]
        cum = used + np.cumsum(space[who])
        bad = np.flatnonzero(cum > limit[who] + EPS)
        stop = int(bad[0]) if bad.size else who.size
        counts = np.bincount(who[:stop], minlength=len(groups))
        for i in active:
            n[i] += int(counts[i])
        if stop:
            used = float(cum[stop - 1])
        if not bad.size:
            break
        blocked = int(who[stop])
        active = [i for i in active if i != blocked and n[i] < groups[i].ready.size]
    return n
