"""The README's Python examples run as written (doctests)."""

from __future__ import annotations

import doctest
import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_python_examples(monkeypatch, tmp_path) -> None:
    monkeypatch.chdir(tmp_path)  # nothing the examples might write lands in the checkout
    # Code fences end an example's expected output, as a blank line does in a docstring.
    text = re.sub(r"^```[a-z]*$", "", README.read_text(encoding="utf-8"), flags=re.MULTILINE)
    test = doctest.DocTestParser().get_doctest(text, {}, "README.md", str(README), 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.attempted >= 20, f"only {result.attempted} README examples found"
    assert result.failed == 0, f"{result.failed} of {result.attempted} README examples failed (see the output above)"


def _help(parser, command: str, option: str) -> str:
    """The --help text of one option of one sub-command, as argparse prints it (one line)."""
    sub = next(a for a in parser._actions if a.dest == "command").choices[command]
    action = next(a for a in sub._actions if option in a.option_strings)
    return " ".join(action.help.split())


def test_readme_options_say_what_help_says() -> None:
    """The hand-written option rows of the README state the defaults --help states."""
    from sim.cli import build_parser

    parser = build_parser()
    text = README.read_text(encoding="utf-8")
    row = re.search(r"^\| `--marey ROUTE` \| (.*) \|$", text, flags=re.MULTILINE).group(1)
    for command in ("run", "compare", "plot"):
        assert _help(parser, command, "--marey") == row, command
    default = re.search(r"\(default: ([^)]*)\)", row).group(1)
    chart = re.search(r"^\| `marey_<route>` \| (.*) \|$", text, flags=re.MULTILINE).group(1)
    assert f"(default: {default})" in chart
    metrics = re.search(r"^\| `--metrics` \| (.*) \|$", text, flags=re.MULTILINE).group(1)
    assert "SCENARIO" in metrics and "SCENARIO" in _help(parser, "run", "--metrics")
