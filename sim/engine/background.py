"""Background vehicles at a node: traffic without modelled cargo that takes the node's servers.

Poisson arrivals over the whole run, drawn up front from the node's own streams
(``background:<node>`` and ``background:<node>:handling``), queueing first come, first
served with the modelled vehicles; their visits are logged as cargo-less rows (BACKGROUND).
"""

from __future__ import annotations

from typing import Generator

import numpy as np
import simpy

from sim.engine.queues import BACKGROUND, NodeRecorder
from sim.engine.sampling import Sampler
from sim.model.scenario import Background


def background_traffic(
    env: simpy.Environment, rec: NodeRecorder, background: Background, end_time: float,
    arrivals_rng: np.random.Generator, handling_rng: np.random.Generator,
) -> Generator:
    """The SimPy process of a node's background vehicles until ``end_time``."""
    n = int(arrivals_rng.poisson(background.vehicles_per_day * end_time))
    arrivals = np.sort(arrivals_rng.uniform(0.0, end_time, n)).tolist()
    sampler = Sampler(background.handling, handling_rng)
    for t in arrivals:
        if t > env.now:
            yield env.timeout(t - env.now)
        duration = sampler()
        if rec.gate is None:
            start = rec.admit(t, duration)
            end = start + duration
        else:
            start, end = rec.gate.admit(t, duration, None)
        rec.record(t, start, end, 0, BACKGROUND, BACKGROUND, BACKGROUND, True, False)
