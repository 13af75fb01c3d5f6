"""report.html: self-contained, escaped, with the run's numbers and the parameters' sources.

The run folder is written with the figure drawing switched off (``sim.report.draw.draw`` patched to
a no-op), so these tests do not depend on the figure modules; the page is built here with
small matplotlib figures.
"""

from __future__ import annotations

import base64
import copy
import dataclasses
import html
import re
from html.parser import HTMLParser

import pytest

from scenarios_for_tests import NETWORK, entry, raw, write
import sim.cli
from sim.output.run_data import RunData, read_run
import sim.report.html
import sim.report.parameters
from sim.report.html import report_html, reproduce_command
from sim.report.parameters import compact
from sim.report.page_figures import figure_png
from sim.report.tables import run_warnings

PNG = b"\x89PNG\r\n\x1a\n"
OVERRIDE = "nodes.dostyk.servers=2"


VOID = {"meta", "img", "br", "hr", "input", "link", "col", "wbr"}


class Page(HTMLParser):
    """Collects tags with their attributes, the text, and the text of every table cell;
    checks every element is closed in order."""

    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.rows: list[tuple[str | None, list[str]]] = []  # (class of the <tr>, cell texts)
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if tag not in VOID:
            self.open.append(tag)
        if tag == "tr":
            self.rows.append((attrs.get("class"), []))
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        assert self.open and self.open.pop() == tag, f"</{tag}> closes {self.open[-1:] or 'nothing'}"
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1][1].append("".join(self._cell))
            self._cell = None

    def handle_data(self, data):
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)


def parse(text: str) -> Page:
    page = Page()
    page.feed(text)
    page.close()
    assert page.open == [], f"unclosed: {page.open}"
    return page


def figures() -> list[tuple[str, str, bytes]]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(3, 2))
    ax.plot([0, 1, 2], [1, 3, 2])
    line = figure_png(fig, dpi=50)
    plt.close(fig)
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.bar(["a", "b"], [2, 1])
    bars = figure_png(fig, dpi=50)
    plt.close(fig)
    return [("Line <one>", "A caption & more", line), ("Bars", "Two bars", bars)]


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> RunData:
    root = tmp_path_factory.mktemp("report")
    doc = raw(NETWORK)
    entry(doc, "routes", "sea")["name"] = "<script>alert(1)</script>"
    entry(doc, "legs", "suez")["source"] = "route length: https://example.org/suez-distances (table 2)"
    entry(doc, "nodes", "xian")["source"] = "handling: railways.kz/news/42 and an estimate"
    entry(doc, "legs", "road")["source"] = "see azernews.az/business/1.html. Rest: research-notes.md"
    file = write(root, doc)
    out = root / "out"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("sim.report.draw.draw", lambda *args, **kwargs: [])
        argv = ["run", str(file), "--out", str(out), "-q", "--no-plot", "-n", "2", "--set", OVERRIDE]
        assert sim.cli.main(argv) == 0
    return read_run(out)


@pytest.fixture(scope="module")
def page_text(run) -> str:
    return report_html([run], figures())


def comparison_doc() -> dict:
    return {
        "baseline": "network", "scenarios": ["network", "other"], "inputs": ["network.toml", "other.toml"],
        "seed": 11, "replications": 2, "overrides": [], "method": "paired by replication",
        "metrics": {"transit_days": "mean transit", "utilization": "utilization"},
        "differences": [
            {"scenario": "other", "route": "overland", "metric": "transit_days", "unit": "d",
             "baseline_mean": 10.0, "scenario_mean": 12.5, "difference": 2.5, "ci95": [2.0, 3.0], "pairs": 2,
             "significant": True},
            {"scenario": "other", "route": "sea", "metric": "transit_days", "unit": "d",
             "baseline_mean": 30.0, "scenario_mean": 30.1, "difference": 0.1, "ci95": [-0.2, 0.4], "pairs": 2,
             "significant": False},
        ],
        "node_differences": [
            {"scenario": "other", "node": "dostyk", "metric": "utilization", "unit": "",
             "baseline_mean": 0.5, "scenario_mean": 0.6, "difference": 0.1, "ci95": [0.05, 0.15], "pairs": 2,
             "significant": True},
        ],
    }


def test_report_is_self_contained(page_text):
    page = parse(page_text)
    tags = [t for t, _ in page.tags]
    assert "script" not in tags and "link" not in tags and "iframe" not in tags
    images = [a for t, a in page.tags if t == "img"]
    assert len(images) == 2
    for attrs in images:
        assert attrs["src"].startswith("data:image/png;base64,")
        assert base64.b64decode(attrs["src"].split(",", 1)[1], validate=True).startswith(PNG)
    assert not re.search(r"""src\s*=\s*["']?https?:""", page_text, re.IGNORECASE)
    assert "url(" not in page_text and "@import" not in page_text
    for tag, attrs in page.tags:
        if attrs.get("href", "").startswith("http"):
            assert tag == "a"
    # figure titles and captions, in order and escaped
    joined = "".join(page.text)
    assert joined.index("Line <one>") < joined.index("Bars")
    assert "A caption & more" in joined and "Line &lt;one&gt;" in page_text


def test_header_holds_the_run_settings(run, page_text):
    s = run.summary
    text = "".join(parse(page_text).text)
    assert "network" in text
    assert f"seed {s['seed']}" in text and "2 replications" in text
    assert f"routesim {s['routesim_version']}" in text
    assert "measured 80 days" in text and "after a 20-day warm-up" in text and "cool-down 40 d" in text
    assert f"--set {OVERRIDE}" in text


def test_route_table_holds_each_route_and_its_mean_transit(run, page_text):
    page = parse(page_text)
    for rid, r in run.summary["routes"].items():
        match = [cells for css, cells in page.rows if cells and cells[0].startswith(rid)]
        assert match, rid
        cells = match[0]
        assert f"{r['transit_days']['mean']:,.2f}" in cells
        bulk = r["cargo"] == "bulk"
        volume = r["throughput_tonnes_per_year" if bulk else "throughput_teu_per_year"]["mean"]
        assert f"{volume:,.0f} {'t' if bulk else 'TEU'}" in cells
        assert f"{r['origin']} → {r['destination']}" in cells


def test_sources_are_links_and_parameters_compact(page_text):
    page = parse(page_text)
    links = [a["href"] for t, a in page.tags if t == "a"]
    assert "https://example.org/suez-distances" in links
    assert "https://railways.kz/news/42" in links
    assert "https://azernews.az/business/1.html" in links  # the full stop stays outside
    assert not any("research-notes" in link for link in links)
    text = "".join(page.text)
    assert "triangular(4, 6, 10)" in text  # xian's handling hours
    assert "empirical(" in text
    assert "path = xian → dostyk → duisburg" in text


def test_each_route_demand_has_its_own_row_and_source(tmp_path):
    doc = raw(NETWORK)
    entry(doc, "routes", "sea")["demand"]["source"] = "volumes: https://example.org/teu"
    text = parse(sim.report.parameters.parameters_html(doc))
    rows = {cells[0]: cells for css, cells in text.rows if cells}
    demand = [cells for css, cells in text.rows if cells and cells[0] == "sea"]
    assert len(demand) == 2  # the route, then its demand
    route, own = demand
    assert "teu_per_year" not in route[1] and route[2] == "demand: see below"
    assert own[1] == "teu_per_year = 7000; container_teu = 2; arrivals = poisson"
    assert own[2] == "volumes: https://example.org/teu"
    assert rows["overland"][1].startswith("teu_per_year = 16000")  # the last row of id overland


def test_scenario_text_is_escaped(page_text):
    assert "<script>alert(1)</script>" not in page_text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page_text


def test_the_checks_come_first_and_say_what_is_wrong(run, page_text):
    """The fixture's run saturates the sea route (one small ship a week); a quiet run says all
    is well."""
    text = "".join(parse(page_text).text)
    warnings = run_warnings(run.summary)
    assert any(w.startswith("route sea: saturated") for w in warnings)
    check = text.index("Check before reading the numbers")
    for warning in warnings:
        assert check < text.index(warning) < text.index("mean transit (d)")
    quiet = copy.deepcopy(run.summary)
    for r in quiet["routes"].values():
        r["saturated"], r["containers_undelivered_at_end"] = False, 0
    for n in quiet["nodes"].values():
        n["utilization"] = 0.5 if n["servers"] else None
    text = "".join(parse(report_html([dataclasses.replace(run, summary=quiet)], [])).text)
    assert "No route is saturated, every counted container was delivered" in text


def test_saturated_nodes_and_undelivered_routes_are_flagged(run):
    summary = copy.deepcopy(run.summary)
    summary["nodes"]["dostyk"]["utilization"] = 0.97
    summary["nodes"]["dostyk"]["utilization_ci95"] = [0.96, 0.98]
    summary["routes"]["overland"]["containers_undelivered_at_end"] = 1234
    page = parse(report_html([dataclasses.replace(run, summary=summary)], []))
    flagged = [cells[0] for css, cells in page.rows if css == "flag"]
    assert any(c.startswith("overland") for c in flagged) and "dostyk" in flagged
    text = "".join(page.text)
    assert "1,234 undelivered at end" in text and "97.0%" in text
    assert "route overland: 1234 counted containers were still undelivered" in text


def test_a_route_without_deliveries_is_flagged_not_fatal(run):
    summary = copy.deepcopy(run.summary)
    summary["routes"]["sea"]["transit_days"] = {"mean": None, "ci95": [None, None], "p5": None, "p95": None}
    del summary["routes"]["sea"]["throughput_teu_per_year"]
    page = parse(report_html([dataclasses.replace(run, summary=summary)], []))
    sea = [cells for css, cells in page.rows if css == "flag" and cells[0].startswith("sea")]
    assert sea and sea[0][-1].startswith("nothing delivered in the window") and "n/a" in sea[0]


def test_reproduce_command(run, page_text):
    command = reproduce_command([run], None)
    assert command.startswith(f"routesim run {run.summary['source']} -n 2 --seed {run.summary['seed']}")
    assert command.endswith(f"--set {OVERRIDE}")
    assert command in "".join(parse(page_text).text)
    assert reproduce_command([run, run], comparison_doc()) == "routesim compare network.toml other.toml -n 2 --seed 11"
    doc = {**comparison_doc(), "overrides": ["routes.sea.name=a b"]}
    assert reproduce_command([run, run], doc).endswith("--seed 11 --set 'routes.sea.name=a b'")
    # The time-space chart chosen for the page is part of what the line writes again.
    line = reproduce_command([run], None, "sea", (3.5, 10.0))
    assert line.endswith(f"--set {OVERRIDE} --marey sea --marey-window 3.5:10")
    assert line in "".join(parse(report_html([run], [], None, "sea", (3.5, 10.0))).text)


def test_same_inputs_same_page(run):
    assert report_html([run], figures()) == report_html([run], figures())  # figure_png is deterministic too
    assert report_html([run, run], [], comparison_doc()) == report_html([run, run], [], comparison_doc())


def test_comparison_rows_show_their_significance(run):
    text = report_html([run, run], [], comparison_doc())
    page = parse(text)
    sig = [cells for css, cells in page.rows if css == "sig"]
    assert [c[0] for c in sig] == ["overland", "dostyk"]
    assert sig[0][-1] == "yes" and "+2.50" in sig[0] and "+2.00 to +3.00" in sig[0]
    assert "+10.0 pp" in sig[1]
    plain = [cells for css, cells in page.rows if cells and cells[0] == "sea"]
    assert plain and plain[0][-1] == "no"
    joined = "".join(page.text)
    assert "paired by replication" in joined and "seed 11" in joined
    # one folded parameters block per scenario, with its file (the page's sections fold too)
    assert text.count("<details><summary>") - text.count("<details><summary><h2>") == 2
    assert joined.count(f"loaded from {run.summary['source']}") == 2


def test_comparison_without_optional_keys(run):
    """A sparse comparison document still renders, with the default method sentence."""
    doc = {"baseline": "network", "differences": [
        {"route": "sea", "metric": "transit_days", "difference": -1.0, "significant": True},
    ]}
    page = parse(report_html([run, run], [], doc))
    text = "".join(page.text)
    assert "paired by replication (same seed, common random numbers)" in text and "Student t 95%" in text
    assert [cells for css, cells in page.rows if css == "sig"][0][-3:] == ["-1.00", "n/a", "yes"]
    assert "No differences were computed" in "".join(parse(report_html([run, run], [], {})).text)


def test_figure_png_has_no_timestamp():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    def draw() -> bytes:
        fig, ax = plt.subplots(figsize=(2, 2))
        ax.plot([0, 1], [0, 1])
        png = figure_png(fig, dpi=40)
        plt.close(fig)
        return png

    first = draw()
    assert first.startswith(PNG) and first == draw()
    assert b"Creation Time" not in first and b"Software" not in first


def test_distributions_read_compactly():
    assert compact({"dist": "triangular", "min": 700, "mode": 900, "max": 1000}) == "triangular(700, 900, 1000)"
    assert compact({"dist": "lognormal", "mean": 18, "cv": 0.5}) == "lognormal(18, cv=0.5)"
    assert compact({"train": 6, "truck": {"dist": "fixed", "value": 2}}) == "{train: 6, truck: fixed(2)}"
    assert compact([1.5, 2.0]) == "[1.5, 2]"
    assert compact({"gauge_change": True}) == "{gauge_change: true}"
    assert compact(9470000.0) == "9470000" and compact(109.05) == "109.05"


def test_run_writes_the_report(tmp_path):
    """The real pipeline (figures skipped): report.html lands in the results folder."""
    try:
        import sim.viz.figures  # noqa: F401  (draw imports it even without figures)
    except ImportError:
        pytest.skip("sim.viz.figures is not importable right now")
    file = write(tmp_path, raw(NETWORK))
    out = tmp_path / "out"
    assert sim.cli.main(["run", str(file), "--out", str(out), "-q", "--no-plot", "-n", "1"]) == 0
    page = parse((out / "report.html").read_text(encoding="utf-8"))
    assert "img" not in [t for t, _ in page.tags]
    assert "overland" in "".join(page.text)


def test_warnings_read_as_on_the_terminal(tmp_path, capsys):
    """The report's checks are the very sentences `routesim run` prints as warnings, in the
    same order: NETWORK saturates its sea route (one small ship a week) and runs its one-track
    border near capacity, so there are several."""
    file = write(tmp_path, raw(NETWORK))
    out = tmp_path / "out"
    assert sim.cli.main(["run", str(file), "--out", str(out), "-q", "--no-plot", "-n", "2"]) == 0
    printed = [line.removeprefix("routesim: warning: ") for line in capsys.readouterr().err.splitlines()]
    assert len(printed) >= 2 and any(w.startswith("route sea: saturated") for w in printed), printed
    assert any(w.startswith("node dostyk: utilization") for w in printed), printed
    page = (out / "report.html").read_text(encoding="utf-8")
    glance = re.search(r'<div class="glance bad">(.*?)</div>', page, re.S).group(1)
    shown = [html.unescape(item) for item in re.findall(r"<li>(.*?)</li>", glance)]
    assert shown == printed
    assert run_warnings(read_run(out).summary) == printed  # one function says them both


@pytest.mark.parametrize("utilization, shown, word", [(1.0, "100%", "saturated"), (0.995, "100%", "saturated"),
                                                      (0.97, "97%", "near saturation")])
def test_a_node_at_capacity_is_saturated_not_near_saturation(run, utilization, shown, word):
    """One threshold (tables.NODE_SATURATED, 99%) tells a saturated node from one near
    saturation (above tables.NODE_NEAR_SATURATION, 95%), on the terminal and in the report."""
    from sim.report.tables import NODE_NEAR_SATURATION, NODE_SATURATED

    assert NODE_NEAR_SATURATION < 0.97 < NODE_SATURATED <= 0.995
    summary = copy.deepcopy(run.summary)
    summary["nodes"]["dostyk"]["utilization"] = utilization
    assert f"node dostyk: utilization {shown}, {word}" in run_warnings(summary)
    page = parse(report_html([dataclasses.replace(run, summary=summary)], []))
    dostyk = next(cells for css, cells in page.rows if css == "flag" and cells[0] == "dostyk")
    assert dostyk[-1] == word


# ---------------------------------------------------------------------------------------
# Sources: links to the cited pages, tags resolved, the settings as run

SOURCE_NOTES = """
# =====================================================================
#  SOURCE TAGS: a tag such as [4a] stands for the sources below
# =====================================================================
# [4a] Rail speeds: railways.kz 2025-03-04; en.cfts.org.ua (BCh 2015)
# [9] Calibration from the sources of the other tags
#     (an estimate)
#
# SOURCE LABELS (short label -> URL):
#   railways.kz 2025-03-04: https://railways.kz/en/news2025/record-volume-train-transfers-china-altynkol-ijp/
#   en.cfts.org.ua (BCh 2015): https://en.cfts.org.ua/news/transit_of_chinese_goods_via_belarus_to_eu_increases_by_40
#   en.cfts.org.ua (Khorgos 2017): https://en.cfts.org.ua/news/kazakhstans_khorgos_dry_port_aiming_to_handle_05_million_teu_per_year_by_2020
"""
KHORGOS = "en.cfts.org.ua/news/kazakhstans_khorgos_dry_port_aiming_to_handle_05_million_teu_per_year_by_2020"


def _cited(tmp_path, *extra: str):
    """NETWORK with sources citing labels, tags and a bare URL, and the SOURCE lists as
    comments, run through the CLI (no figures); returns the folder and its report page."""
    doc = raw(NETWORK)
    doc["run"]["replications"] = 3
    entry(doc, "nodes", "dostyk")["source"] = "[4a]: railways.kz 2025-03-04 (8 trains/day); speed [9, 4a]; see [7]"
    entry(doc, "legs", "suez")["source"] = f"Khorgos: {KHORGOS}; Brest: en.cfts.org.ua (BCh 2015: <12 h)"
    entry(doc, "legs", "road")["source"] = "en.cfts.org.ua (Khorgos 2017), and en.cfts.org.ua alone"
    import tomli_w

    file = tmp_path / "cited.toml"
    file.write_text(tomli_w.dumps(doc) + SOURCE_NOTES, encoding="utf-8")
    out = tmp_path / "out"
    assert sim.cli.main(["run", str(file), "--out", str(out), "-q", "--no-plot", *extra]) == 0
    return file, out, (out / "report.html").read_text(encoding="utf-8")


def _anchors(html_text: str) -> list[tuple[str, str]]:
    return re.findall(r'<a href="([^"]+)"[^>]*>([^<]*)</a>', html_text)


def test_a_bare_url_is_linked_whole_and_labels_link_to_the_cited_page(tmp_path):
    _, _, page = _cited(tmp_path, "-n", "2")
    links = _anchors(page)
    assert ("https://" + KHORGOS, KHORGOS) in links  # not cut at .org (no 'ua' in the old list)
    assert ("https://railways.kz/en/news2025/record-volume-train-transfers-china-altynkol-ijp/",
            "railways.kz 2025-03-04") in links  # the page the label stands for, not the site
    bch = "https://en.cfts.org.ua/news/transit_of_chinese_goods_via_belarus_to_eu_increases_by_40"
    khorgos = "https://" + KHORGOS
    cfts = [href for href, text in links if text == "en.cfts.org.ua"]
    # Two pages of one site: the words after the label pick one; alone, the site is all we know.
    assert cfts.count(bch) >= 2 and cfts.count(khorgos) == 1 and "https://en.cfts.org.ua" in cfts
    assert not any(href in ("https://en.cfts.org", "https://railways.kz") for href, _ in links)


def test_tags_link_to_what_they_stand_for(tmp_path):
    _, out, page = _cited(tmp_path, "-n", "2")
    parsed = parse(page)
    sources = [cells[-1] for css, cells in parsed.rows if cells and cells[0] == "dostyk"]
    assert "[4a]: railways.kz 2025-03-04 (8 trains/day); speed [9, 4a]; see [7]" in sources  # text as written
    hrefs = [href for href, _ in _anchors(page)]
    assert hrefs.count("#tag-4a") >= 2 and "#tag-9" in hrefs and "#tag-7" not in hrefs  # [7] is not a tag of the file
    ids = [a.get("id") for t, a in parsed.tags if a.get("id")]
    assert "tag-4a" in ids and "tag-9" in ids
    entry_9 = re.search(r'<dt id="tag-9">\[9\]</dt><dd>(.*?)</dd>', page).group(1)
    assert entry_9 == "Calibration from the sources of the other tags (an estimate)"  # continuation lines joined
    # The folder carries the lists (its scenario.toml is all `plot` has), so a re-draw from
    # the folder alone links the same.
    assert "# SOURCE LABELS" in (out / "scenario.toml").read_text(encoding="utf-8")
    again = report_html([read_run(out)], [])
    assert again == page


def test_the_run_block_shows_the_replications_and_seed_actually_run(tmp_path):
    _, _, page = _cited(tmp_path, "-n", "2", "--seed", "77")
    run_line = re.search(r"<p><b>run</b>: (.*?)</p>", page).group(1)
    assert "replications = 2 (as run; the file&#39;s run.replications is 3)" in run_line
    assert "seed = 77 (as run; the file&#39;s run.seed is" in run_line
    assert "replications = 3" not in run_line
    (tmp_path / "again").mkdir()
    _, _, page = _cited(tmp_path / "again")
    run_line = re.search(r"<p><b>run</b>: (.*?)</p>", page).group(1)
    assert "replications = 3" in run_line and "as run" not in run_line


def test_a_scenario_that_extends_another_cites_with_the_bases_lists(tmp_path):
    from sim.model.sources import read_source_notes

    base = tmp_path / "base.toml"
    base.write_text(NETWORK + SOURCE_NOTES, encoding="utf-8")
    child = tmp_path / "child.toml"
    child.write_text('extends = "base.toml"\n[run]\nname = "child"\n'
                     "# SOURCE TAGS\n# [9] the child's own calibration\n", encoding="utf-8")
    notes = read_source_notes(child)
    assert notes.tags["9"] == "the child's own calibration" and "4a" in notes.tags
    assert [label.name for label in notes.labels][:1] == ["railways.kz 2025-03-04"]


def test_comparison_pages_keep_each_scenarios_tags_apart(run):
    from sim.model.sources import parse_source_notes

    cited = dataclasses.replace(run, source_notes=parse_source_notes(SOURCE_NOTES))
    page = report_html([cited, cited], [], comparison_doc())
    assert 'id="s1-tag-4a"' in page and 'id="s2-tag-4a"' in page and 'id="tag-4a"' not in page


def test_the_page_copy_from_the_canvas_is_the_copy_of_the_saved_file() -> None:
    from sim.report.page_figures import embedded_png, embedded_png_of
    from sim.viz.save import png_bytes, subplots

    fig, axes = subplots(1, 2, figsize=(4, 2.5), layout="constrained")
    axes[0].plot([0, 1, 2], [1, 3, 2], color="#1b4f72")
    axes[1].bar(["a", "b"], [2, 1], color="#c0392b")
    png = png_bytes(fig, dpi=80)
    copy = embedded_png_of(fig, png)
    assert copy == embedded_png(png)
    assert copy.startswith(b"\x89PNG") and len(copy) < len(png)
    # A PNG of another drawing than the canvas holds: decoded, not taken from the canvas.
    other = png_bytes(fig, dpi=60)
    png_bytes(fig, dpi=80)
    assert embedded_png_of(fig, other) == embedded_png(other)


def test_page_copies_are_embedded_as_given(run) -> None:
    from sim.report.page_figures import embedded_png

    pngs = figures()
    ready = [(title, text, embedded_png(png)) for title, text, png in pngs]
    assert report_html([run], ready, page_copies=True) == report_html([run], pngs)


def test_the_measured_window_is_told_in_the_files_time_base() -> None:
    """Days after the warm-up, as containers.csv.gz and every dated file count them."""
    from sim.report.tables import measured_window

    dated = {"warmup_days": 60.0, "horizon_days": 426.0, "start_date": "2020-01-01"}
    assert measured_window(dated) == "366 days from 2020-01-01 (days 0–366 of the files, after a 60-day warm-up)"
    assert measured_window({"warmup_days": 30, "horizon_days": 150}) == (
        "120 days (days 0–120 of the files, after a 30-day warm-up)")
    assert measured_window({"warmup_days": "x"}) == "window unknown"  # after "measured "
