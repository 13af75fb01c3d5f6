"""What a scenario file's sources stand for: its SOURCE LABELS and SOURCE TAGS comments.

A ``source`` field cites briefly: a short label ("railways.kz 2025-03-04", whose URL the
file lists under SOURCE LABELS) or a tag ("[4a]", whose publications the file lists under
SOURCE TAGS).  These lists are comments, which a TOML parser drops, so they are read here
from the file's text (and from the files it ``extends``), carried into the results folder's
scenario.toml in the same form, and read back from there by the report, which turns each
label into a link to the cited page and each tag into a link to what it stands for.

Reading is best effort: a file without these lists, or one that cannot be read, has none.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

LABELS_HEADING = "SOURCE LABELS"
TAGS_HEADING = "SOURCE TAGS"
_HEADING = re.compile(r"^#\s*(SOURCE LABELS|SOURCE TAGS)\b")
_LABEL = re.compile(r"^#\s+(?P<label>\S.*?):\s+(?P<url>https?://\S+)\s*$")
_TAG = re.compile(r"^#\s*\[(?P<tag>\d+[a-z]?)\]\s+(?P<text>.*)$")
_RULE = re.compile(r"^#\s*[=\-]{5,}\s*$")
_QUALIFIED = re.compile(r"^(?P<name>.*?)\s+\((?P<qualifier>[^()]*)\)$")


@dataclass(frozen=True)
class Label:
    """A short label and the page it stands for: ``name`` is what a source cites
    ("uic.org enews 660"), ``qualifier`` the words in parentheses after it in the list
    ("Altynkol"), which tell apart two pages of one site."""

    name: str
    qualifier: str
    url: str

    @property
    def text(self) -> str:
        """The label as the file lists it."""
        return f"{self.name} ({self.qualifier})" if self.qualifier else self.name


@dataclass(frozen=True)
class SourceNotes:
    """A scenario's short labels (in file order) and tags (tag -> what it stands for)."""

    labels: tuple[Label, ...] = ()
    tags: dict[str, str] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.labels or self.tags)

    def merged_over(self, base: "SourceNotes") -> "SourceNotes":
        """These notes on top of a base file's: a label or tag given here wins."""
        mine = {label.text for label in self.labels}
        labels = self.labels + tuple(label for label in base.labels if label.text not in mine)
        return SourceNotes(labels, {**base.tags, **self.tags})


def parse_source_notes(text: str) -> SourceNotes:
    """The SOURCE LABELS and SOURCE TAGS lists of a scenario file's text.

    A list starts at a comment line that begins with its heading; a label is a line
    ``#   label: https://...``; a tag is ``# [4a] text`` with its continuation lines below;
    a list ends at the next heading or at the first line that is not a comment.
    """
    labels: list[Label] = []
    tags: dict[str, str] = {}
    section: str | None = None
    tag: str | None = None
    for line in text.splitlines():
        line = line.rstrip()
        if not line.startswith("#"):
            section = tag = None
            continue
        heading = _HEADING.match(line)
        if heading:
            section, tag = heading.group(1), None
            continue
        if section is None or _RULE.match(line):
            continue
        if section == LABELS_HEADING:
            found = _LABEL.match(line)
            if found:
                labels.append(_label(found.group("label").strip(), found.group("url").rstrip(".,;")))
            continue
        found = _TAG.match(line)
        if found:
            tag = found.group("tag")
            tags[tag] = found.group("text").strip()
        elif tag is not None and line.strip("# "):
            tags[tag] += " " + line.lstrip("#").strip()
    return SourceNotes(tuple(labels), tags)


def _label(text: str, url: str) -> Label:
    found = _QUALIFIED.match(text)
    if found:
        return Label(found.group("name").strip(), found.group("qualifier").strip(), url)
    return Label(text, "", url)


def read_source_notes(path: str | Path, _chain: tuple[Path, ...] = ()) -> SourceNotes:
    """The source notes of a scenario file and of the files it ``extends`` (its own win);
    empty when the file has none or cannot be read."""
    from sim.model.documents import extends_target  # the one rule for where ``extends`` points

    try:
        file = Path(path).resolve()
        text = file.read_bytes().decode("utf-8").removeprefix("\ufeff")
    except (OSError, UnicodeDecodeError, ValueError):
        return SourceNotes()
    notes = parse_source_notes(text)
    if "extends" not in text or file in _chain:
        return notes
    try:
        ref = tomllib.loads(text).get("extends")
        base = extends_target(file, ref) if isinstance(ref, str) and ref else None
    except Exception:  # noqa: BLE001  (a broken base is the loader's to report, not this reader's)
        return notes
    return notes.merged_over(read_source_notes(base, (*_chain, file))) if base is not None else notes


def notes_comment(notes: SourceNotes) -> str:
    """The notes as TOML comments in the lists' own form, for the results' scenario.toml
    (so the folder's copy of the scenario still says what its sources stand for)."""
    if not notes:
        return ""
    lines = []
    if notes.tags:
        lines.append(f"# {TAGS_HEADING}: what each [tag] in a source stands for (copied from the scenario file)")
        lines += [f"# [{tag}] {text}" for tag, text in notes.tags.items()]
        lines.append("#")
    if notes.labels:
        lines.append(f"# {LABELS_HEADING} (short label -> URL, copied from the scenario file):")
        lines += [f"#   {label.text}: {label.url}" for label in notes.labels]
    return "\n".join(_one_line(line) for line in lines) + "\n"


def _one_line(line: str) -> str:
    """A comment line that cannot end the comment: line breaks and control characters dropped."""
    return re.sub(r"[\x00-\x1f\x7f]", " ", line)
