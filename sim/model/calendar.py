"""The one calendar of a run: model days to dates and back, real month lengths and leap years.

Time base, used by every output file: calendar day 0 is ``run.start_date`` at 00:00, which is
the end of the warm-up.  Simulation time t is calendar day ``t - warmup_days`` (negative
during the warm-up), and calendar day d covers the instants [d, d + 1).

A scenario that gives neither ``run.start_date`` nor ``run.year`` is undated: it has no ISO
dates, and its months are those of common (365-day) years from January, labelled Y1-01,
Y1-02, ..., Y2-01; runs of different years can then be laid side by side.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # the scenario model imports this module, not the other way round
    from sim.model.scenario import Settings

# English names whatever the locale (strftime's %b would follow it).
MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
MONTH_FULL_NAMES = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)
COMMON_YEAR_DAYS = 365
# Day of a common year on which each month begins: the undated calendar's months.
_COMMON_MONTH_STARTS = np.cumsum([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30])
# Months are counted as numpy counts them: month serial 0 is January 1970.
_EPOCH_YEAR = 1970
_MEAN_YEAR_DAYS = 365.2425  # Gregorian: only a first guess, corrected against the real dates


@dataclass(frozen=True)
class Month:
    """One calendar month within a span of calendar days: [start, stop), cut to the span."""

    label: str  # "2020-03", or "Y1-03" when undated
    start: float  # calendar day
    stop: float
    month: int  # 1 = January ... 12 = December
    whole_start: bool  # start is the month's first day (False when the span begins inside it)


@dataclass(frozen=True)
class Calendar:
    """Calendar days of a run: day 0 = ``start_date`` (None: undated) = end of the warm-up."""

    start_date: dt.date | None = None
    warmup_days: float = 0.0

    @classmethod
    def of(cls, settings: "Settings") -> "Calendar":
        """The calendar of a scenario's run settings."""
        return cls(settings.start_date, settings.warmup_days)

    @property
    def dated(self) -> bool:
        """True if day 0 is a real date (the scenario gave run.start_date or run.year)."""
        return self.start_date is not None

    # -----------------------------------------------------------------------------------
    # Simulation time and calendar days

    def calendar_day(self, t: float | np.ndarray) -> float | np.ndarray:
        """Calendar day of simulation time ``t`` (t = 0 is the start of the warm-up)."""
        return t - self.warmup_days

    def sim_time(self, day: float | np.ndarray) -> float | np.ndarray:
        """Simulation time of calendar day ``day``."""
        return day + self.warmup_days

    # -----------------------------------------------------------------------------------
    # Dates

    def _start(self) -> dt.date:
        if self.start_date is None:
            raise ValueError("an undated calendar (no run.start_date or run.year) has no dates")
        return self.start_date

    def _start64(self) -> np.datetime64:
        return np.datetime64(self._start(), "D")

    def date(self, day: float) -> dt.date:
        """The date holding calendar day ``day`` (a fractional day falls in its whole day)."""
        return self._start() + dt.timedelta(days=int(np.floor(day)))

    def dates(self, days: np.ndarray) -> np.ndarray:
        """Dates (numpy datetime64[D]) holding each calendar day."""
        whole = np.floor(np.asarray(days, dtype=np.float64)).astype(np.int64)
        return self._start64() + whole

    def day(self, when: dt.date | str) -> int:
        """Calendar day of a date (a ``datetime.date`` or an ISO string 'YYYY-MM-DD')."""
        if isinstance(when, str):
            when = dt.date.fromisoformat(when)
        return int((np.datetime64(when, "D") - self._start64()).astype(np.int64))

    def iso(self, day: float) -> str:
        """ISO date ('2020-03-01') of the day holding ``day``; '' when undated."""
        return self.date(day).isoformat() if self.dated else ""

    def iso_dates(self, days: np.ndarray) -> list[str]:
        """ISO dates of many calendar days at once (all '' when undated)."""
        days = np.asarray(days, dtype=np.float64)
        if not self.dated:
            return [""] * days.size
        return self.dates(days).astype(str).tolist()

    # -----------------------------------------------------------------------------------
    # Months and years

    def _serial(self, days: np.ndarray) -> np.ndarray:
        """Month serial (months since January 1970, or since the undated Y1-01) of each day."""
        whole = np.floor(np.asarray(days, dtype=np.float64)).astype(np.int64)
        if not self.dated:
            year, day_of_year = np.divmod(whole, COMMON_YEAR_DAYS)
            return 12 * year + np.searchsorted(_COMMON_MONTH_STARTS, day_of_year, side="right") - 1
        return (self._start64() + whole).astype("datetime64[M]").astype(np.int64)

    def _serial_start(self, serial: np.ndarray) -> np.ndarray:
        """Calendar day on which each month serial begins."""
        serial = np.asarray(serial, dtype=np.int64)
        if not self.dated:
            year, month = np.divmod(serial, 12)
            return COMMON_YEAR_DAYS * year + _COMMON_MONTH_STARTS[month]
        first = serial.astype("datetime64[M]").astype("datetime64[D]")
        return (first - self._start64()).astype(np.int64)

    def _label(self, serial: int) -> str:
        year, month = divmod(int(serial), 12)
        if self.dated:
            return f"{_EPOCH_YEAR + year:04d}-{month + 1:02d}"
        return f"Y{year + 1}-{month + 1:02d}"

    def month_index(self, days: np.ndarray) -> np.ndarray:
        """Month of the year of each calendar day, 0 = January (the seasonality's index)."""
        # 1970-01 and the undated Y1-01 are both Januaries, so the serial mod 12 is the month.
        return np.mod(self._serial(days), 12)

    def months(self, first: float, last: float) -> list[Month]:
        """The calendar months overlapping the calendar days [first, last), cut to them."""
        if not last > first:
            return []
        first, last = float(first), float(last)
        out: list[Month] = []
        serial = int(self._serial(np.array([first]))[0])
        begin = float(self._serial_start(np.array([serial]))[0])
        while begin < last:
            end = float(self._serial_start(np.array([serial + 1]))[0])
            out.append(Month(self._label(serial), max(begin, first), min(end, last), serial % 12 + 1, begin >= first))
            serial, begin = serial + 1, end
        return out

    def _anniversary(self, k: np.ndarray) -> np.ndarray:
        """Calendar day on which the k-th year from the start date begins (29 Feb: 1 March)."""
        k = np.asarray(k, dtype=np.int64)
        if not self.dated:
            return COMMON_YEAR_DAYS * k
        start = self._start()
        month = np.datetime64(start, "M") + 12 * k
        first = month.astype("datetime64[D]") + (start.day - 1)
        return (first - self._start64()).astype(np.int64)

    def years(self, days: np.ndarray) -> np.ndarray:
        """Calendar years since day 0 of each (fractional) calendar day: 1.0 on the first
        anniversary of the start date, whatever the year's length (growth compounds per year)."""
        days = np.asarray(days, dtype=np.float64)
        k = np.floor(days / _MEAN_YEAR_DAYS).astype(np.int64)
        k = np.where(days < self._anniversary(k), k - 1, k)
        k = np.where(days >= self._anniversary(k + 1), k + 1, k)
        begin, end = self._anniversary(k), self._anniversary(k + 1)
        return k + (days - begin) / (end - begin)

    @property
    def first_year_days(self) -> int:
        """Days in the first measured year (366 from 1 January 2020, 365 when undated)."""
        return int(self._anniversary(np.array([1]))[0])

    def day_zero_text(self) -> str:
        """What day 0 is, for axis labels: '1 January 2020' or 'the start of the measured window'."""
        if self.start_date is None:
            return "the start of the measured window"
        d = self.start_date
        return f"{d.day} {MONTH_FULL_NAMES[d.month - 1]} {d.year}"
