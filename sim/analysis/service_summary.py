"""Each service with a finite fleet or shared by several routes in the summary: what it
offered, where its vehicles' time went and how full it ran, from the metrics table.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field as dataclasses_field
from typing import Any, Mapping


from sim.analysis.metric_contexts import route_service_id, service_leg_id
from sim.analysis.metrics import vocabulary
from sim.analysis.metrics_table import MetricsTable
from sim.engine.fleet import headway_days
from sim.model.scenario import Scenario


from sim.analysis.measured import Interval, measured


@dataclass(frozen=True)
class ServiceSummary:
    """A service with a finite fleet or shared by several routes: what it offered, where its
    vehicles' time went (sim.analysis.fleets) and how full it ran (sim.analysis.loops), each
    a mean over replications with its 95% interval."""

    vehicle: str
    vehicles: int | None  # the fleet's; None: unlimited vehicles
    rotation: tuple[str, ...]
    headway_days: float | None  # the timetable's; None: it leaves when full
    measures: Mapping[str, Interval]  # the "service" metrics of the metrics table
    path: tuple[str, ...] = ()  # its calls in order
    routes: tuple[str, ...] = ()  # the routes it carries
    allocation: Mapping[str, float] = dataclasses_field(default_factory=dict)
    background_load: str | None = None  # described, e.g. "40% of capacity"
    legs: Mapping[str, Mapping[str, Interval]] = dataclasses_field(default_factory=dict)  # shared: per leg id
    carried: Mapping[str, Mapping[str, Interval]] = dataclasses_field(default_factory=dict)  # shared: per route

    @property
    def vehicles_needed(self) -> int | None:
        """Vehicles a steady timetable needs at the cycle measured: ceil(cycle / headway)."""
        cycle = self.measures["cycle_days"].mean if "cycle_days" in self.measures else None
        if self.headway_days is None or cycle is None:
            return None
        return max(1, math.ceil(cycle / self.headway_days - 1e-9))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "vehicle": self.vehicle, "vehicles": self.vehicles, "rotation": list(self.rotation),
            "headway_days": self.headway_days, "vehicles_needed": self.vehicles_needed,
            **{k: v.to_dict() for k, v in self.measures.items() if k != "vehicles"},
        }
        if self.legs or self.carried:
            out.update({
                "path": list(self.path), "routes": list(self.routes), "allocation": dict(self.allocation),
                "background_load": self.background_load,
                "legs": {leg: {k: v.to_dict() for k, v in m.items()} for leg, m in self.legs.items()},
                "carried": {rid: {k: v.to_dict() for k, v in m.items()} for rid, m in self.carried.items()},
            })
        return out


def service_summary(scenario: Scenario, table: MetricsTable, service_id: str) -> ServiceSummary:
    """A fleet's or shared service's summary from its rows of the metrics table."""
    service = scenario.services[service_id]

    def measures(kind: str, entity: str) -> dict[str, Interval]:
        names = dict.fromkeys(name for k, e, name in zip(table.kind, table.entity, table.metric) if k == kind and e == entity)
        return {name: measured(table, kind, entity, name) for name in names}

    fleet = service.fleet
    routes = tuple(dict.fromkeys(rid for rid, _ in service.users))
    legs = carried = {}
    if service.shared:
        legs = {lid: measures("service_leg", service_leg_id(service_id, lid)) for lid in service.legs}
        loop = {m.name for m in vocabulary() if m.kind == "route_service" and m.name != "load_factor"}
        carried = {rid: {k: v for k, v in measures("route_service", route_service_id(rid, service_id)).items() if k in loop}
                   for rid in routes}
    return ServiceSummary(
        vehicle=service.vehicle, vehicles=fleet.vehicles if fleet is not None else None,
        rotation=fleet.rotation if fleet is not None else (),
        headway_days=headway_days(scenario, service_id),
        measures=measures("service", service_id),
        path=service.path, routes=routes, allocation=dict(service.allocation),
        background_load=service.background_load.describe() if service.background_load is not None else None,
        legs=legs, carried=carried,
    )
