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
