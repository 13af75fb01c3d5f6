"""Error types that carry enough context for a one-line, actionable message."""

from __future__ import annotations


class RoutesimError(Exception):
    """Base of every error the CLI turns into a clean message and exit status 2."""


class ScenarioError(RoutesimError):
    """A scenario file or override is malformed.

    ``path`` is the file (or the ``--set`` that caused it), ``key`` the dotted key path
    inside the scenario (``nodes.dostyk.servers``), ``message`` what is wrong; ``str()``
    joins them into the one line the CLI prints.
    """

    def __init__(self, message: str, key: str = "", file: str = "", related: tuple[str, ...] = ()) -> None:
        self.message = message
        self.key = key
        self.file = file
        # Other key paths the rule involves, so a --set of any of them can be named as the cause.
        self.related = related
        super().__init__(str(self))

    @property
    def path(self) -> str:
        """The scenario file (or ``--set PATH=VALUE``) the error is in."""
        return self.file

    def __str__(self) -> str:
        where = ": ".join(part for part in (self.file, self.key) if part)
        return f"{where}: {self.message}" if where else self.message

    def located(self, file: str) -> "ScenarioError":
        """Return the same error with the file name filled in (if not already set)."""
        return self if self.file else ScenarioError(self.message, self.key, file, self.related)


# How to add the optional sweep extra (Dask, SALib, pyarrow): from the checkout routesim was
# installed from, as the README's set-up does.
SWEEP_EXTRA = "pip install '.[sweep]' in the routesim checkout"


class UsageError(RoutesimError):
    """A bad command-line argument or API argument (number out of range, unknown name, ...)."""


class Interrupted(KeyboardInterrupt):
    """Ctrl-C, SIGTERM or SIGHUP: ``signum`` says which; ``written`` is the results folder if
    it had already been put in place when the signal came (else None)."""

    def __init__(self, signum: int, written: object = None) -> None:
        super().__init__(signum)
        self.signum = int(signum)
        self.written = written


def kind_of(value: object) -> str:
    """What a scenario value is, in the words every message uses after "got": 'a string',
    'an array', 'a table', 'a boolean', 'an integer (3)', 'a decimal number (2.5)', 'a date'."""
    import datetime as dt

    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        text = str(value) if abs(value) < 10**15 else f"{value:.3g}"
        return f"an integer ({text})"
    if isinstance(value, float):
        return f"a decimal number ({value:g})"
    if isinstance(value, dt.datetime):
        return "a date and time"
    if isinstance(value, dt.date):
        return "a date"
    if isinstance(value, dt.time):
        return "a time of day"
    names = {str: "a string", list: "an array", tuple: "an array", dict: "a table", type(None): "nothing"}
    for kind, name in names.items():
        if isinstance(value, kind):
            return name
    return f"a value of type {type(value).__name__}"
