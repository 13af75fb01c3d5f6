"""Point labels that overlap nothing: greedy placement on rings of candidate spots.

Each label tries spots round its point, nearest ring first, eight directions per ring, and
keeps the first whose text box (measured by the renderer, in display pixels) stays inside
the axes and clear of every box already taken: earlier labels and the point markers.
Three passes, each less strict: first a spot on the nearer rings that covers no drawn
line (sampled points along them) and is nearer its own point than any other marker (so
that it cannot be read as another node's name); then any unambiguous spot; then any.
A label set off beyond the first ring gets a thin leader line back to its point.  The
order of the labels is their priority; the same input always gives the same placement.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.text import Annotation, Text
from matplotlib.transforms import Bbox

Point = tuple[float, float]

# Directions tried on each ring, as unit offsets and the text alignment that puts the
# label on that side of its point: NE, SE, NW, SW, E, W, N, S.
_DIRECTIONS = (
    ((1, 0.6), "left", "bottom"), ((1, -0.6), "left", "top"), ((-1, 0.6), "right", "bottom"),
    ((-1, -0.6), "right", "top"), ((1, 0), "left", "center"), ((-1, 0), "right", "center"),
    ((0, 1), "center", "bottom"), ((0, -1), "center", "top"),
)
# Ring radii in points: the first ring touches the marker, the later ones need a leader.
RINGS = (6.0, 12.0, 20.0, 30.0, 42.0, 56.0, 72.0)
LINE_FREE_RINGS = 3  # rings tried in the first pass, which keeps labels off the lines
GAP_PX = 3.0  # kept free round each label box, in pixels
MARKER_PX = 4.0  # half the side of the box kept free round each marker, in pixels
LINE_STEP_PX = 3.0  # spacing of the points sampled along lines, in pixels


def text_box(text: Text) -> Bbox:
    """The display box of a label's text alone (an annotation's arrow, if any, left out)."""
    renderer = text.figure.canvas.get_renderer()
    if isinstance(text, Annotation):
        text.update_positions(renderer)  # an annotation's offset is resolved only here
    return Text.get_window_extent(text, renderer)


def place_labels(
    ax: Axes,
    items: Sequence[tuple[str, Point, str]],
    markers: Sequence[Point] = (),
    lines: Sequence[Sequence[Point]] = (),
    fontsize: float = 7.5,
) -> dict[str, Annotation]:
    """Place each (gid, point, text) in priority order; the placed labels by gid.

    ``markers`` are data points whose neighbourhood no label may cover (every node dot,
    labelled or not); ``lines`` are polylines in data coordinates a label should rather
    not cover.  A label with no free spot on any ring is left out: the caller decides
    whether that is acceptable.
    """
    renderer = ax.figure.canvas.get_renderer()
    ax.apply_aspect()
    frame = ax.get_window_extent(renderer)
    samples = _sample(ax, lines)
    dots = ax.transData.transform(np.asarray(markers, float).reshape(-1, 2))
    taken = [Bbox.from_extents(px - MARKER_PX, py - MARKER_PX, px + MARKER_PX, py + MARKER_PX) for px, py in dots]
    placed: dict[str, Annotation] = {}
    for gid, point, label in items:
        found = _place_one(ax, gid, point, label, fontsize, frame, taken, samples, dots)
        if found is not None:
            placed[gid] = found
    return placed


def _sample(ax: Axes, lines: Sequence[Sequence[Point]]) -> np.ndarray:
    """Display points every LINE_STEP_PX along the polylines (an n x 2 array)."""
    found = [np.empty((0, 2))]
    for line in lines:
        xy = ax.transData.transform(np.asarray(line, float))
        for a, b in zip(xy[:-1], xy[1:]):
            steps = max(1, int(np.hypot(*(b - a)) / LINE_STEP_PX))
            t = np.linspace(0.0, 1.0, steps + 1)[:, None]
            found.append(a + t * (b - a))
    return np.concatenate(found)


def _covers(box: Bbox, samples: np.ndarray) -> bool:
    """True if any sampled line point lies inside the box."""
    if not len(samples):
        return False
    x, y = samples[:, 0], samples[:, 1]
    return bool(np.any((x > box.x0) & (x < box.x1) & (y > box.y0) & (y < box.y1)))


def _distance(box: Bbox, xy: np.ndarray) -> np.ndarray:
    """Distance in pixels from each display point to the box (0 inside it)."""
    dx = np.maximum(np.maximum(box.x0 - xy[:, 0], xy[:, 0] - box.x1), 0.0)
    dy = np.maximum(np.maximum(box.y0 - xy[:, 1], xy[:, 1] - box.y1), 0.0)
    return np.hypot(dx, dy)


def _ambiguous(box: Bbox, own: np.ndarray, dots: np.ndarray) -> bool:
    """True if another marker (one more than a marker's width from ``own``) is nearer the box."""
    if not len(dots):
        return False
    others = dots[np.hypot(*(dots - own).T) > 2 * MARKER_PX]
    if not len(others):
        return False
    return bool(_distance(box, others).min() < _distance(box, own[None, :])[0])


def _place_one(ax: Axes, gid: str, point: Point, label: str, fontsize: float, frame: Bbox,
               taken: list[Bbox], samples: np.ndarray, dots: np.ndarray) -> Annotation | None:
    """The first free spot for one label, added to ``taken``; None if every spot is taken."""
    text = ax.annotate(label, point, xytext=(0, 0), textcoords="offset points", fontsize=fontsize,
                       zorder=7, annotation_clip=False, gid=gid,
                       bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.8})
    own = ax.transData.transform(point)
    # (ring, keep off the lines, keep unambiguous), strictest first.
    spots = [(ring, True, True) for ring in range(min(LINE_FREE_RINGS, len(RINGS)))]
    spots += [(ring, False, True) for ring in range(len(RINGS))]
    spots += [(ring, False, False) for ring in range(len(RINGS))]
    for ring, off_lines, clear in spots:
        radius = RINGS[ring]
        for (ux, uy), ha, va in _DIRECTIONS:
            text.set_position((ux * radius, uy * radius))
            text.set_ha(ha)
            text.set_va(va)
            # A little air round each box: touching labels read as one.
            box = text_box(text).padded(GAP_PX)
            inside = box.x0 >= frame.x0 and box.x1 <= frame.x1 and box.y0 >= frame.y0 and box.y1 <= frame.y1
            if not inside or any(box.overlaps(other) for other in taken):
                continue
            if off_lines and _covers(box, samples):
                continue
            if clear and _ambiguous(box, own, dots):
                continue
            taken.append(box)
            if ring > 0:
                _leader(ax, point, text_box(text), gid)
            return text
    text.remove()
    return None


def _leader(ax: Axes, point: Point, box: Bbox, gid: str) -> None:
    """A thin line from the point to the nearest edge of its label, drawn under the labels."""
    px, py = ax.transData.transform(point)
    ex = min(max(px, box.x0), box.x1)
    ey = min(max(py, box.y0), box.y1)
    (x0, y0), (x1, y1) = ax.transData.inverted().transform([(px, py), (ex, ey)])
    ax.plot([x0, x1], [y0, y1], color="#555555", lw=0.5, zorder=6.5, gid=f"leader:{gid}")
