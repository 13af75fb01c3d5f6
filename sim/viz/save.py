"""Saving a figure: the one place that knows the resolution and the metadata to leave out.

Every figure routesim makes is saved here, as PNG, SVG or PDF, byte for byte the same for
the same data: no creation date, no software version, a fixed SVG id salt.
"""

from __future__ import annotations

import io
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Callable, Iterator

if TYPE_CHECKING:  # matplotlib is imported when a figure is made, not with this module
    from matplotlib.figure import Figure

FORMATS = ("png", "svg", "pdf")
DPI = 120
# Metadata each format would otherwise stamp with the date or the matplotlib version.
_METADATA = {
    "png": {"Software": None},
    "svg": {"Date": None, "Creator": None},
    "pdf": {"CreationDate": None, "ModDate": None, "Creator": None, "Producer": None},
}


def save(fig: "Figure", target: Path | str | BinaryIO, fmt: str = "png", dpi: int = DPI) -> None:
    """Write ``fig`` to a path or binary file in ``fmt``, reproducibly."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown figure format {fmt!r} (choose from {', '.join(FORMATS)})")
    import matplotlib

    # PNG at zlib level 1: a fifth less time saving a figure for 3% more bytes (report.html
    # re-encodes its copies as palette PNGs anyway).
    extra = {"pil_kwargs": {"compress_level": 1}} if fmt == "png" else {}
    with matplotlib.rc_context({"svg.hashsalt": "routesim"}), _laid_out_once(fig, fmt, dpi):
        fig.savefig(target, format=fmt, dpi=dpi, metadata=_METADATA[fmt], **extra)


@contextmanager
def _laid_out_once(fig: "Figure", fmt: str, dpi: int) -> Iterator[None]:
    """A PNG's constrained layout computed once, and the figure drawn once.

    With a layout engine, savefig first draws the whole figure without rendering so that
    the layout can measure it, and the layout then runs again in the real draw: two layouts
    and two draws, about a quarter of a grid figure's saving time.  Laying it out here, at
    the saving resolution as savefig would, gives the same bytes.  Only for PNG: SVG and PDF
    measure text with their own renderers.  The engine is put back afterwards.
    """
    from matplotlib.layout_engine import ConstrainedLayoutEngine

    engine = fig.get_layout_engine()
    if fmt != "png" or not isinstance(engine, ConstrainedLayoutEngine):
        yield
        return
    before = fig.dpi
    fig.dpi = dpi
    try:
        engine.execute(fig)
    finally:
        fig.dpi = before
    fig.set_layout_engine(None)
    try:
        yield
    finally:
        fig.set_layout_engine(engine)


def plain_text(build: Callable[[], "Figure"]) -> Callable[[], "Figure"]:
    """``build`` with matplotlib's mathtext off: a name such as "$5 route" from a scenario
    is drawn as typed instead of failing to parse as a formula."""

    def drawn() -> "Figure":
        import matplotlib

        with matplotlib.rc_context({"text.parse_math": False}):
            return build()

    return drawn


def png_bytes(fig: "Figure", dpi: int = DPI) -> bytes:
    """The figure as PNG bytes (for embedding in report.html)."""
    buffer = io.BytesIO()
    save(fig, buffer, "png", dpi)
    return buffer.getvalue()


def subplots(nrows: int = 1, ncols: int = 1, *, figsize: tuple[float, float], layout: str | None = None,
             squeeze: bool = True, **kwargs):
    """(Figure, axes) like pyplot.subplots, but the Figure belongs to no pyplot state: a
    notebook shows it only when asked, no backend is chosen, and nothing accumulates in
    pyplot's registry however many figures are drawn."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, layout=layout)
    FigureCanvasAgg(fig)  # a canvas to measure text on (label placement); selects no backend
    return fig, fig.subplots(nrows, ncols, squeeze=squeeze, **kwargs)
