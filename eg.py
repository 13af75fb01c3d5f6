import sim, numpy as np
from sim.engine.events import without_events
scn = sim.load("china_europe_2021_disruptions")
hit = sim.run(scn, replications=2, seed=2021, impact=False)
calm = sim.run(without_events(scn), replications=2, seed=2021)
for i in range(2):
    for r in ("sea_shanghai_rotterdam",):
        a, b = hit.results[i].ledgers[r], calm.results[i].ledgers[r]
        d = (a.delivered - b.delivered)
        d = np.asarray(d, dtype=float)
        print(i, r, "n", len(d), "delayed>0.5d:", int((d>0.5).sum()), "max", np.nanmax(d), "affected rec:", hit.results[i].events["ever_given"].containers(r))
