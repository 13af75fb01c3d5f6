"""What a sweep varies and measures: its parameters, design, metrics and settings.

A parameter is a scenario key path (as ``--set`` writes it) with a range, a list of values
or a distribution.  On the command line ``--param PATH=SPEC`` where SPEC is ``LOW:HIGH``
(reals), ``LOW:HIGH:int`` (whole numbers), ``LOW:HIGH:STEP`` (a lattice), ``[a, b, c]``
(values) or an inline distribution table ``{ dist = "triangular", min = 1, mode = 2, max = 4 }``.
A sweep file holds the same as TOML (``read_sweep_file``).  Everything here is checked before
anything runs; an error is one line naming the option or the file and key.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from sim.model.distributions import Distribution, parse_distribution
from sim.model.errors import ScenarioError, UsageError
from sim.model.overrides import parse_value, toml_value
from sim.model.suggest import unknown_key_message

DESIGNS = ("grid", "lhs", "sobol", "morris")
SEEDS = ("common", "independent")
MAX_POINTS = 100_000  # a design beyond this is a typo (a grid step too fine), not a study
MIN_SAMPLES = {"lhs": 4, "sobol": 8, "morris": 4}  # fewer leave the indices meaningless
DEFAULT_SAMPLES = {"lhs": 32, "sobol": 64, "morris": 10}
DEFAULT_METRICS = ("routes.*.transit_days.mean",)


@dataclass(frozen=True)
class Parameter:
    """One input a sweep varies.  Exactly one of (low, high), ``values`` or ``dist`` is set."""

    path: str
    text: str  # as given, for messages and records
    low: float | None = None
    high: float | None = None
    integer: bool = False
    step: float | None = None
    values: tuple[Any, ...] = ()
    dist: Distribution | None = field(default=None, compare=False)
    dist_table: Mapping[str, Any] | None = None  # the distribution as written, for records

    @property
    def kind(self) -> str:
        return "values" if self.values else "dist" if self.dist is not None else "range"

    def grid(self) -> list[Any]:
        """Every value a full grid takes (in increasing order for a range)."""
        if self.values:
            return list(self.values)
        if self.dist is not None:
            raise UsageError(f"{self.text}: a grid needs values or a range with a step (a distribution has neither)")
        if self.step is None and not self.integer:
            raise UsageError(f"{self.text}: a grid needs a step for a range of reals (LOW:HIGH:STEP) or :int")
        step = self.step if self.step is not None else 1
        count = int(math.floor((self.high - self.low) / step + 1e-9)) + 1
        return [self._typed(self.low + k * step) for k in range(count)]

    def from_unit(self, u: np.ndarray) -> list[Any]:
        """The values at points ``u`` of [0, 1]: a design drawn on the unit cube becomes
        draws of this parameter (uniform over a range or a lattice, its distribution's
        quantiles, one of its values with equal chance)."""
        u = np.clip(np.asarray(u, dtype=np.float64), 0.0, 1.0)
        if self.values:
            at = np.minimum((u * len(self.values)).astype(np.int64), len(self.values) - 1)
            return [self.values[i] for i in at]
        if self.dist is not None:
            return [float(v) for v in self.dist.quantile(u)]
        if self.step is not None or self.integer:
            lattice = self.grid()
            at = np.minimum((u * len(lattice)).astype(np.int64), len(lattice) - 1)
            return [lattice[i] for i in at]
        return [float(v) for v in self.low + u * (self.high - self.low)]

    def _typed(self, value: float) -> Any:
        return int(round(value)) if self.integer else float(round(value, 12))

    def record(self) -> dict[str, Any]:
        """The parameter as a sweep file writes it (sweep.json, sweep.toml)."""
        if self.values:
            return {"values": list(self.values)}
        if self.dist_table is not None:
            return dict(self.dist_table)
        out: dict[str, Any] = {"range": [self._typed(self.low), self._typed(self.high)]}
        if self.integer:
            out["integer"] = True
        if self.step is not None:
            out["step"] = self._typed(self.step) if self.integer else self.step
        return out


@dataclass(frozen=True)
class SweepSpec:
    """A whole sweep: the scenario, the fixed ``--set`` changes, the parameters, the design."""

    scenario: str
    parameters: tuple[Parameter, ...]
    design: str = "lhs"
    samples: int | None = None
    replications: int | None = None  # None: the scenario's run.replications
    seed: int = 1
    metrics: tuple[str, ...] = DEFAULT_METRICS
    overrides: tuple[str, ...] = ()
    seeds: str = "common"  # common random numbers at every point, or a seed of its own per point
    second_order: bool = False  # Sobol: also second-order indices (n(2d+2) points instead of n(d+2))
    levels: int | None = None  # Morris: grid levels (None: 4)
    impact: bool = False  # events: also run without them to measure their impact (doubles the work)

    @property
    def morris_levels(self) -> int:
        return self.levels if self.levels is not None else 4

    @property
    def sample_count(self) -> int:
        return self.samples if self.samples is not None else DEFAULT_SAMPLES.get(self.design, 0)


def _number(text: str, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise UsageError(f"{what}: {text!r} is not a number") from None
    if not math.isfinite(value):
        raise UsageError(f"{what}: {text!r} is not a finite number")
    return value


def _whole(text: str) -> bool:
    return text.strip().lstrip("+-").isdigit()


def parse_param(text: str, whole: bool = False, flag: str = "--param") -> Parameter:
    """A ``--param PATH=SPEC`` text as a Parameter; ``whole``: the scenario takes only whole
    numbers at PATH (``needs_whole``), so a range there is of whole numbers without ``:int``."""
    path, eq, spec = text.partition("=")
    path, spec = path.strip(), spec.strip()
    where = f"{flag} {text}"
    if not eq or not path or not spec:
        raise UsageError(f"{where}: expected PATH=LOW:HIGH, PATH=LOW:HIGH:int, PATH=LOW:HIGH:STEP, "
                         "PATH=[a, b, ...] or PATH={ dist = ... }")
    if any(not k for k in path.split(".")):
        raise UsageError(f"{where}: bad path {path!r}: expected dotted keys like nodes.dostyk.servers")
    if spec.startswith("[") or spec.startswith("{"):
        try:
            value = parse_value(spec, where)
        except ScenarioError as exc:
            raise UsageError(f"{where}: {exc.message}") from None
        return parameter_from(path, value, where, whole)
    parts = [p.strip() for p in spec.split(":")]
    if len(parts) not in (2, 3):
        raise UsageError(f"{where}: a range is LOW:HIGH, LOW:HIGH:int or LOW:HIGH:STEP")
    low, high = (_number(p, where) for p in parts[:2])
    integer = parts[2:] == ["int"] or whole
    step = None
    if len(parts) == 3 and parts[2] != "int":
        step = _number(parts[2], where)
        if integer and not _whole(parts[2]):
            raise UsageError(f"{where}: step {parts[2]} is not a whole number, and {path} takes whole numbers only")
    return _range(path, where, low, high, integer, step)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _range(path: str, where: str, low: float, high: float, integer: bool, step: float | None) -> Parameter:
    if high < low:
        raise UsageError(f"{where}: reversed range {low:g}:{high:g} (write LOW:HIGH)")
    if high == low:
        raise UsageError(f"{where}: empty range {low:g}:{high:g} (give two different ends, or fix it with --set)")
    if integer and (low != int(low) or high != int(high)):
        raise UsageError(f"{where}: a range of whole numbers needs whole ends, got {low:g}:{high:g}")
    if step is not None:
        if step <= 0:
            raise UsageError(f"{where}: step {step:g} must be positive")
        if step > high - low:
            raise UsageError(f"{where}: step {step:g} is wider than the range {low:g}:{high:g}, which leaves one value")
        if (high - low) / step + 1 > MAX_POINTS:
            raise UsageError(f"{where}: step {step:g} makes over {MAX_POINTS} values")
    return Parameter(path, where, low=low, high=high, integer=integer, step=step)


def parameter_from(path: str, value: Any, where: str, whole: bool = False) -> Parameter:
    """A parameter from its TOML form: a "LOW:HIGH[:int|:STEP]" string, a list of values,
    or a table: ``{ range = [lo, hi], integer = true, step = 2 }``, ``{ values = [...] }``
    or a distribution (``{ dist = "normal", mean = 1000, sd = 50 }``)."""
    if isinstance(value, str):
        return parse_param(f"{path}={value}", whole, flag=where.split(" ")[0] if " " in where else where)
    if isinstance(value, tuple) and len(value) == 2 and all(_real(v) for v in value):  # the API's (low, high)
        return parameter_from(path, {"range": list(value)}, where, whole)
    if isinstance(value, list):
        return _values(path, where, value)
    if not isinstance(value, Mapping):
        raise UsageError(f"{where}: expected a range, a list of values or a table, got {toml_value(value)}")
    if "dist" in value:
        dist = parse_distribution(dict(value), path)
        return Parameter(path, where, dist=dist, dist_table=dict(value))
    if "values" in value:
        extra = set(value) - {"values"}
        if extra:
            raise UsageError(f"{where}: a table of values takes only 'values', not {', '.join(sorted(extra))}")
        return _values(path, where, value["values"])
    if "range" not in value:
        raise UsageError(f"{where}: a parameter table needs 'range', 'values' or 'dist'")
    extra = set(value) - {"range", "integer", "step"}
    if extra:
        raise UsageError(f"{where}: " + unknown_key_message(sorted(extra)[0], ["range", "integer", "step"]))
    ends = value["range"]
    if not (isinstance(ends, list) and len(ends) == 2 and all(_real(e) for e in ends)):
        raise UsageError(f"{where}: range must be [LOW, HIGH], two numbers")
    integer = value.get("integer")
    if integer is not None and not isinstance(integer, bool):
        raise UsageError(f"{where}: integer must be true or false")
    if integer is None:
        integer = whole
    step = value.get("step")
    if step is not None and not _real(step):
        raise UsageError(f"{where}: step must be a number")
    if step is not None and integer and step != int(step):
        raise UsageError(f"{where}: step {step:g} is not a whole number, and {path} takes whole numbers only")
    return _range(path, where, float(ends[0]), float(ends[1]), integer, None if step is None else float(step))


def _real(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _values(path: str, where: str, values: Any) -> Parameter:
    if not isinstance(values, list) or not values:
        raise UsageError(f"{where}: values must be a non-empty list")
    if len(values) == 1:
        raise UsageError(f"{where}: one value is not a parameter (fix it with --set {path}=...)")
    texts = [toml_value(v) for v in values]
    if len(set(texts)) != len(texts):
        raise UsageError(f"{where}: values repeat: {', '.join(texts)}")
    return Parameter(path, where, values=tuple(values))


def current_value(raw: Mapping[str, Any], path: str) -> Any:
    """The scenario's value at a dotted path (lists of tables by their id), or None."""
    here: Any = raw
    for key in path.split("."):
        if isinstance(here, Mapping):
            here = here.get(key)
        elif isinstance(here, list):
            here = next((e for e in here if isinstance(e, Mapping) and e.get("id") == key), None)
        else:
            return None
        if here is None:
            return None
    return here


def check_spec(spec: SweepSpec) -> SweepSpec:
    """The design's own rules: known design, enough samples, unique parameters."""
    if spec.design not in DESIGNS:
        raise UsageError("--design: " + unknown_key_message(spec.design, DESIGNS, what="design"))
    if spec.seeds not in SEEDS:
        raise UsageError("seeds: " + unknown_key_message(spec.seeds, SEEDS, what="seeds rule"))
    if not spec.parameters:
        raise UsageError("a sweep needs at least one --param PATH=LOW:HIGH (or [parameters] in a sweep file)")
    paths = [p.path for p in spec.parameters]
    twice = sorted({p for p in paths if paths.count(p) > 1})
    if twice:
        raise UsageError(f"--param {twice[0]}: given twice")
    fixed = {t.partition("=")[0].strip() for t in spec.overrides}
    both = sorted(fixed & set(paths))
    if both:
        raise UsageError(f"--param {both[0]}: also fixed by --set; a key is either swept or set")
    if spec.second_order and spec.design != "sobol":
        raise UsageError(f"--second-order: only a Sobol design has second-order indices, not {spec.design}")
    if spec.levels is not None and spec.design != "morris":
        raise UsageError(f"--levels: only a Morris design has levels, not {spec.design}")
    keys = [t.partition("=")[0].strip() for t in spec.overrides]
    again = sorted({k for k in keys if keys.count(k) > 1})
    if again:
        raise UsageError(f"--set {again[0]}: given twice; give each key once")
    if spec.design == "grid":
        if spec.samples is not None:
            raise UsageError("--samples: a grid takes every combination of its parameters' values; "
                             "give steps or values instead (samples are for lhs, sobol and morris)")
        size = math.prod(len(p.grid()) for p in spec.parameters)
        if size > MAX_POINTS:
            raise UsageError(f"--design grid: {size} points (over {MAX_POINTS}); use coarser steps or lhs")
    else:
        n = spec.sample_count
        if n < MIN_SAMPLES[spec.design]:
            raise UsageError(f"--samples {n}: too few for {spec.design} (at least {MIN_SAMPLES[spec.design]})")
        if spec.design == "sobol" and n & (n - 1):
            low = 1 << (n.bit_length() - 1)
            raise UsageError(f"--samples {n}: Sobol (Saltelli) sampling needs a power of two, e.g. {low} or {low * 2}")
        if spec.design == "morris" and (spec.morris_levels < 2 or spec.morris_levels % 2):
            raise UsageError(f"--levels {spec.levels}: Morris needs an even number of levels, at least 2")
        points = point_count(spec)
        if points > MAX_POINTS:
            raise UsageError(f"--samples {n}: {points} points (over {MAX_POINTS})")
    return spec


def point_count(spec: SweepSpec) -> int:
    """How many points the design has (before identical points are merged)."""
    d = len(spec.parameters)
    n = spec.sample_count
    if spec.design == "grid":
        return math.prod(len(p.grid()) for p in spec.parameters)
    if spec.design == "sobol":
        return n * (2 * d + 2 if spec.second_order else d + 2)
    if spec.design == "morris":
        return n * (d + 1)
    return n


# ---------------------------------------------------------------------------------------
# Sweep files

# Whole-number settings of a sweep file and their bounds (as the command line's options).
FILE_RANGES = {"samples": (1, 1_000_000), "replications": (1, 100_000), "seed": (0, 2**63 - 1), "levels": (2, 100)}
FILE_KEYS = ("scenario", "design", "samples", "replications", "seed", "metrics", "set", "seeds", "second_order",
             "levels", "impact", "parameters")


def is_sweep_file(path: Path) -> bool:
    """True for a TOML file with a top-level ``scenario`` or ``parameters`` key (a scenario
    file has neither)."""
    try:
        doc = tomllib.loads(path.read_text("utf-8")) if path.suffix == ".toml" and path.is_file() else {}
        return "scenario" in doc or "parameters" in doc
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False


def read_sweep_file(path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """The sweep file's settings (typed, keys of SweepSpec) and its raw [parameters] table.

    ``scenario`` is relative to the file's folder (or a bundled name)."""
    file = str(path)
    try:
        raw = tomllib.loads(path.read_bytes().decode("utf-8").removeprefix("\ufeff"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"cannot read sweep file: {exc}", file=file) from None
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"TOML syntax error: {exc}", file=file) from None
    for key in raw:
        if key not in FILE_KEYS:
            raise ScenarioError(unknown_key_message(key, FILE_KEYS), key, file)
    out: dict[str, Any] = {}
    scenario = raw.get("scenario")
    if not isinstance(scenario, str) or not scenario:
        raise ScenarioError("must name the scenario (a bundled name or a .toml path relative to this file)",
                            "scenario", file)
    local = path.parent / scenario
    out["scenario"] = str(local) if (scenario.endswith(".toml") or "/" in scenario) else scenario
    if out["scenario"] == str(local) and not local.is_file():
        raise ScenarioError(f"scenario file {local} not found", "scenario", file)
    for key, kind in (("design", str), ("seeds", str), ("samples", int), ("replications", int), ("seed", int),
                      ("levels", int), ("second_order", bool), ("impact", bool)):
        if key in raw:
            value = raw[key]
            if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
                raise ScenarioError(f"must be {'a whole number' if kind is int else 'true or false' if kind is bool else 'text'}",
                                    key, file)
            if key in FILE_RANGES and not FILE_RANGES[key][0] <= value <= FILE_RANGES[key][1]:
                raise ScenarioError(f"must be between {FILE_RANGES[key][0]} and {FILE_RANGES[key][1]}, got {value}",
                                    key, file)
            if key in ("design", "seeds") and value not in (DESIGNS if key == "design" else SEEDS):
                raise ScenarioError(unknown_key_message(value, DESIGNS if key == "design" else SEEDS, what=key),
                                    key, file)
            out[key] = value
    for key, target in (("metrics", "metrics"), ("set", "overrides")):
        if key in raw:
            value = raw[key]
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ScenarioError("must be a list of strings", key, file)
            out[target] = tuple(value)
    params = raw.get("parameters", {})
    if not isinstance(params, Mapping):
        raise ScenarioError('must be a table: "path" = "LOW:HIGH", [values] or { range = [LOW, HIGH] }',
                            "parameters", file)
    return out, dict(params)


def with_settings(spec: SweepSpec, **given: Any) -> SweepSpec:
    """The spec with the given settings replaced (None: keep the spec's)."""
    return replace(spec, **{k: v for k, v in given.items() if v is not None})


def needs_whole(raw: Mapping[str, Any], path: str, source: str = "") -> bool:
    """True when the scenario holds a whole number at ``path`` and refuses a fraction there
    (asked of the loader itself: the value plus a half is tried)."""
    from sim.model.loader import scenario_from
    from sim.model.overrides import override_from

    value = current_value(raw, path)
    if not _is_int(value):
        return False
    try:
        scenario_from(raw, source, [override_from(path, value + 0.5)])
    except ScenarioError as exc:
        return exc.key == path and exc.message.startswith("must be an integer")
    return False


def parameters_from(texts: Sequence[str], table: Mapping[str, Any], raw: Mapping[str, Any], file: str = "",
                    ) -> tuple[Parameter, ...]:
    """The parameters of a sweep file's [parameters] table, then of ``--param`` texts."""
    out = []
    for path, value in table.items():
        try:
            out.append(parameter_from(path, value, f"{file}: parameters.{path}", needs_whole(raw, path)))
        except ScenarioError as exc:  # a bad distribution table
            raise UsageError(f"{file}: parameters.{path}: {exc.key + ': ' if exc.key else ''}{exc.message}") from None
    for text in texts:
        path = text.partition("=")[0].strip()
        try:
            out.append(parse_param(text, needs_whole(raw, path)))
        except ScenarioError as exc:
            raise UsageError(f"--param {text}: {exc.key + ': ' if exc.key else ''}{exc.message}") from None
    return tuple(out)
