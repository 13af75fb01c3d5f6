"""report.html: self-contained, escaped, with the run's numbers and the parameters' sources."""

from __future__ import annotations

import base64
import json
from html.parser import HTMLParser
from pathlib import Path

import pytest

from scenarios_for_tests import NETWORK, entry, raw, write
from sim.cli import main
from sim.figdata import read_run
from sim.report import compact, report_html

PNG = b"\x89PNG\r\n\x1a\n"


class Page(HTMLParser):
    """Collects tags with their attributes, and the text."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def parse(text: str) -> Page:
    page = Page()
    page.feed(text)
    return page


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("report")
    doc = raw(NETWORK)
    entry(doc, "routes", "sea")["name"] = "<script>alert(1)</script>"
    entry(doc, "legs", "suez")["source"] = "route length: https://example.org/suez-distances (table 2)"
    file = write(root, doc)
    out = root / "out"
    assert main(["run", str(file), "--out", str(out), "-q", "-n", "2"]) == 0
    return out


def test_report_is_self_contained(folder):
    page = parse((folder / "report.html").read_text(encoding="utf-8"))
    tags = [t for t, _ in page.tags]
    assert "script" not in tags and "link" not in tags
    images = [a for t, a in page.tags if t == "img"]
    assert len(images) == 6  # every figure of the run
    for attrs in images:
        assert attrs["src"].startswith("data:image/png;base64,")
        assert base64.b64decode(attrs["src"].split(",", 1)[1]).startswith(PNG)
    for tag, attrs in page.tags:
        assert not attrs.get("src", "").startswith("http"), tag
        if attrs.get("href", "").startswith("http"):
            assert tag == "a"


def test_report_holds_the_route_numbers_and_the_sources_as_links(folder):
    text = (folder / "report.html").read_text(encoding="utf-8")
    summary = json.loads((folder / "summary.json").read_text())
    page_text = "".join(parse(text).text)
    for rid, r in summary["routes"].items():
        assert rid in page_text
        assert f"{r['transit_days']['mean']:,.2f}" in page_text
    links = [a["href"] for t, a in parse(text).tags if t == "a"]
    assert "https://example.org/suez-distances" in links
    assert f"seed {summary['seed']}" in page_text and "2 replications" in page_text


def test_scenario_text_is_escaped(folder):
    text = (folder / "report.html").read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


def test_same_inputs_same_page(folder):
    run = read_run(folder)
    figures = [("a figure", "its caption", PNG + b"rest")]
    assert report_html([run], figures) == report_html([run], figures)


def test_comparison_rows_show_their_significance(folder):
    run = read_run(folder)
    comparison = {
        "baseline": "network", "scenarios": ["network", "other"], "method": "paired by replication",
        "metrics": {"mean_transit_days": "mean transit"},
        "differences": [
            {"scenario": "other", "route": "overland", "metric": "mean_transit_days", "unit": "d",
             "baseline_mean": 10.0, "scenario_mean": 12.5, "difference": 2.5, "ci95": [2.0, 3.0], "significant": True},
            {"scenario": "other", "route": "sea", "metric": "mean_transit_days", "unit": "d",
             "baseline_mean": 30.0, "scenario_mean": 30.1, "difference": 0.1, "ci95": [-0.2, 0.4], "significant": False},
        ],
        "node_differences": [],
    }
    text = report_html([run, run], [], comparison)
    page = parse(text)
    rows = [a.get("class") for t, a in page.tags if t == "tr"]
    assert rows.count("sig") == 1
    joined = "".join(page.text)
    assert "+2.50" in joined and "+2.00 to +3.00" in joined and "paired by replication" in joined
    assert "<details>" in text  # one parameters block per scenario


def test_distributions_read_compactly():
    assert compact({"dist": "triangular", "min": 700, "mode": 900, "max": 1000}) == "triangular(700, 900, 1000)"
    assert compact({"dist": "lognormal", "mean": 18, "cv": 0.5}) == "lognormal(18, cv=0.5)"
    assert compact({"train": 6, "truck": {"dist": "fixed", "value": 2}}) == "{train: 6, truck: fixed(2)}"
