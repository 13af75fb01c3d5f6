"""The report's content as data, rendered by Jinja2 templates with escaping on.

Text is a list of parts: a plain string, or a small dict (``span``, ``link``, ``sub`` ...)
that says what the text is, never how it is marked up.  Blocks (``h3``, ``p``, ``table``,
``ul`` ...) hold parts.  Only the templates in sim/report/templates write markup, and they
escape every string, so a scenario's names and sources can never inject any.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any, Iterable, Sequence

from sim.model.sources import Label, SourceNotes

TEMPLATES = Path(__file__).parent / "templates"
Part = str | dict
Parts = list[Part]

# Full URLs, and bare host names on the domains scenario sources cite ("en.cfts.org.ua/news/...").
# A list, not any letters after a dot: "research-notes.md" or "claims.toml" is a file, not a site.
TLDS = (
    "com|org|net|int|gov|edu|info|news|media|biz|io|eu|asia|kz|cn|ru|by|ua|uz|tm|kg|tj|az|ge|am|mn|tr|ir|af|pk|"
    "in|jp|kr|hk|tw|sg|au|ae|de|pl|nl|fr|it|es|pt|uk|ie|us|ca|ch|at|be|se|fi|no|dk|cz|sk|hu|ro|bg|gr|lt|lv|ee"
)
_URL = (r"(?<![\w@/.-])(?:https?://[^\s,;)<>\"]+|(?:[a-z0-9-]+\.)+(?:" + TLDS + r")\b(?!\.[a-z0-9])"
        r"(?:/[^\s,;)<>\"]*)?)")
URL = re.compile(_URL, re.IGNORECASE)
TAG_LIST = r"\[\d+[a-z]?(?:,\s*\d+[a-z]?)*\]"  # [4a], [9, 4a]: the SOURCE TAGS a source cites


# ---------------------------------------------------------------------------------------
# Parts


def span(text: Any, cls: str = "", title: str = "", ident: str = "", br: bool = False) -> dict:
    """Text with a style (``cls``: meta, warn, sub, b, code, nw), a tooltip or an anchor."""
    return {"t": text if isinstance(text, list) else str(text), "cls": cls, "title": title, "id": ident, "br": br}


def sub(text: Any) -> dict:
    """A second line under a cell's main text (a long name under an id)."""
    return span(text, "sub")


def meta(text: Any, br: bool = False) -> dict:
    return span(text, "meta", br=br)


def warn(text: Any) -> dict:
    return span(text, "warn")


def bold(text: Any) -> dict:
    return span(text, "b")


def code(text: Any) -> dict:
    return span(text, "code")


def link(text: Any, href: str, title: str = "") -> dict:
    return {"t": text if isinstance(text, list) else str(text), "href": href, "title": title}


def br() -> dict:
    """A line break."""
    return {"t": "", "br": True}


def breakable(text: str, after: str = "._") -> Parts:
    """``text`` with a line-break opportunity after each of ``after`` (long dotted ids)."""
    parts: Parts = []
    chunk = ""
    for ch in text:
        chunk += ch
        if ch in after:
            parts.append({"t": chunk, "wbr": True})
            chunk = ""
    return parts + ([chunk] if chunk else [])


def labelled(ident: Any, name: Any) -> Parts:
    """An id with its long name below it (when the name says more than the id)."""
    shown = name and str(name) != str(ident)  # names default to the id: no need to say it twice
    return [str(ident)] + ([sub(name)] if shown else [])


# ---------------------------------------------------------------------------------------
# Blocks


def h3(parts: Any, ident: str = "") -> dict:
    return {"kind": "h3", "parts": parts, "id": ident}


def p(parts: Any, cls: str = "") -> dict:
    return {"kind": "p", "parts": parts, "cls": cls}


def ul(items: Iterable[Any], cls: str = "") -> dict:
    return {"kind": "ul", "entries": list(items), "cls": cls}


def ol(items: Iterable[tuple[str, Any]], cls: str = "") -> dict:
    """A numbered list of (anchor, parts)."""
    return {"kind": "ol", "entries": [{"id": i, "parts": x} for i, x in items], "cls": cls}


def dl(items: Iterable[tuple[str, Any, Any]], cls: str = "") -> dict:
    """A definition list of (anchor, term, parts)."""
    return {"kind": "dl", "entries": [{"id": i, "term": t, "parts": x} for i, t, x in items], "cls": cls}


def div(blocks: Sequence[dict], cls: str = "") -> dict:
    return {"kind": "div", "blocks": list(blocks), "cls": cls}


def details(summary: Any, blocks: Sequence[dict], open_: bool = False) -> dict:
    """A folded block: ``summary`` always shown, ``blocks`` on a click."""
    return {"kind": "details", "summary": summary, "blocks": list(blocks), "open": open_}


def table(headers: Sequence[str], rows: Iterable[tuple[Sequence[Any], str]], numeric: Sequence[bool],
          classes: Sequence[str] | None = None, cls: str = "") -> dict:
    """A table block; each row is (cells as parts, css class of the row).  Numeric columns
    are right-aligned; ``classes`` gives the other columns a css class."""
    columns = ["n" if n else (classes[i] if classes else "") for i, n in enumerate(numeric)]
    return {"kind": "table", "table": {
        "headers": list(headers), "rows": [{"cells": list(cells), "cls": css} for cells, css in rows],
        "columns": columns, "cls": cls,
    }}


@functools.lru_cache(maxsize=1)
def environment():
    """The Jinja2 environment of the report templates, escaping on for .html."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    return Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                       undefined=StrictUndefined, keep_trailing_newline=True)


def render_blocks(blocks: Sequence[dict]) -> str:
    """Blocks as HTML (for a fragment; pages render whole templates)."""
    return str(environment().get_template("blocks.html").module.blocks(list(blocks)))


# ---------------------------------------------------------------------------------------
# Source text with its links


class Linker:
    """Source text as parts: URLs, the scenario file's short labels (as links to the pages
    they stand for) and its [tags] (as links to what they stand for, further down the page).

    ``anchor`` prefixes the page anchors of the tags, so that each scenario of a comparison
    links to its own list. Links are not loaded; the page stays offline.
    """

    def __init__(self, notes: SourceNotes | None = None, anchor: str = "") -> None:
        self.notes = notes or SourceNotes()
        self.anchor = anchor
        self.by_name: dict[str, list[Label]] = {}
        for label in self.notes.labels:
            self.by_name.setdefault(label.name.lower(), []).append(label)
        names = sorted(self.by_name, key=len, reverse=True)
        alternatives = []
        if names:  # a label, with the host's sub-domains a source may add ("en." + "inform.kz a3992304")
            alternatives.append(r"(?P<label>(?<![\w@/.-])(?:[a-z0-9-]+\.)*(?:"
                                + "|".join(re.escape(n) for n in names) + r")(?![\w/]))")
        alternatives += [f"(?P<tags>{TAG_LIST})", f"(?P<url>{_URL})"]
        self.pattern = re.compile("|".join(alternatives), re.IGNORECASE)
        self.names = names

    def tag_id(self, tag: str) -> str:
        """The page anchor of a tag's entry in the list of source tags."""
        return f"{self.anchor}tag-{tag}"

    def __call__(self, text: str) -> Parts:
        """``text`` as parts, with its labels, tags and URLs as links."""
        out: Parts = []
        last = 0
        for m in self.pattern.finditer(text):
            if m.start() < last:
                continue
            out.append(text[last:m.start()])
            if m.group("tags") is not None:
                out += self._tags(m.group("tags"))
                last = m.end()
            elif "label" in m.groupdict() and m.group("label") is not None:
                shown = m.group("label")
                label = self._label(shown, text[m.end():m.end() + 80])
                out += [link(shown, label.url)] if label else self._url(shown)
                last = m.end()
            else:
                url = m.group("url").rstrip(".:")  # a sentence's full stop is not part of the address
                out += self._url(url)
                last = m.start() + len(url)
        out.append(text[last:])
        return [x for x in out if x != ""]

    def _label(self, shown: str, after: str) -> Label | None:
        """The label ``shown`` cites; where one name has several pages, the one whose
        qualifier's words follow it ("en.cfts.org.ua (BCh 2015: ...)"); None if unclear."""
        lowered = shown.lower()
        name = next(n for n in self.names if lowered.endswith(n))
        candidates = self.by_name[name]
        if len(candidates) == 1:
            return candidates[0]
        words = after.lower()

        def score(label: Label) -> int:
            return sum(w in words for w in re.findall(r"\w{3,}|\d+", label.qualifier.lower()))

        best = max(candidates, key=score)
        tied = [c for c in candidates if score(c) == score(best)]
        return best if score(best) > 0 and len(tied) == 1 else None

    def _url(self, url: str) -> Parts:
        if not URL.fullmatch(url):  # a label cited bare ("railways.kz 2025-03-05"): its host only
            host = URL.match(url)
            return self._url(host.group(0)) + [url[host.end():]] if host else [url]
        href = url if url.lower().startswith("http") else "https://" + url
        return [link(url, href)]

    def _tags(self, text: str) -> Parts:
        shown: Parts = ["["]
        for part in re.split(r"(,\s*)", text[1:-1]):
            if part in self.notes.tags:
                title = self.notes.tags[part]
                title = title if len(title) <= 300 else title[:297] + "..."
                shown.append(link(part, f"#{self.tag_id(part)}", title))
            else:
                shown.append(part)
        return shown + ["]"]

    def tags_blocks(self) -> list[dict]:
        """The scenario file's SOURCE TAGS: each tag with what it stands for, linked."""
        if not self.notes.tags:
            return []
        return [
            h3("Source tags", f"{self.anchor}tags"),
            p("A tag such as [4a] in a source stands for the publications listed under it in the scenario file "
              "(SOURCE TAGS).", "meta"),
            dl(((self.tag_id(tag), f"[{tag}]", self(text)) for tag, text in self.notes.tags.items()), "tags"),
        ]
