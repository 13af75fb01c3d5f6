"""Figures as report.html embeds them: palette PNGs, a third of the bytes of the saved files.

Used by the drawing processes (sim.report.draw), which make each figure's page copy while the
figure is at hand, and by the pages that assemble them (sim.report.html, sim.report.sweep).
"""

from __future__ import annotations

import base64
import io
from typing import TYPE_CHECKING, Sequence

if TYPE_CHECKING:
    from matplotlib.figure import Figure

EMBED_COLOURS = 64  # a figure's palette when embedded: plots have few colours; no dithering
# (Scaling figures down for the page makes them larger: resampling adds the in-between
# shades that a palette PNG compresses worst.)


def figure_png(fig: "Figure", dpi: int = 110) -> bytes:
    """PNG bytes of a figure for embedding (a lower resolution than the saved files keeps
    report.html light), without timestamped metadata."""
    from sim.viz.save import png_bytes

    return png_bytes(fig, dpi)


def embedded_png(png: bytes) -> bytes:
    """A figure's PNG as a palette image for the page: about a third of the bytes, the same
    picture to the eye (a plot has few colours), and the same bytes for the same input."""
    from PIL import Image  # matplotlib's own dependency

    return _palette_png(Image.open(io.BytesIO(png)).convert("RGB"), png)


def embedded_png_of(fig: "Figure", png: bytes) -> bytes:
    """``embedded_png(png)`` for a figure just saved as ``png``, from the pixels still in its
    canvas: the same bytes without decoding the file again (a third of the time)."""
    from PIL import Image

    buffer = fig.canvas.buffer_rgba()
    height, width = buffer.shape[:2]
    image = Image.frombuffer("RGBA", (width, height), buffer, "raw", "RGBA", 0, 1)
    if image.size != _png_size(png):  # not the canvas of that save: decode the file after all
        return embedded_png(png)
    return _palette_png(image.convert("RGB"), png)


def _png_size(png: bytes) -> tuple[int, int]:
    """(width, height) from a PNG's header chunk."""
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def _palette_png(image, png: bytes) -> bytes:
    from PIL import Image

    # Fast octree: a fifth of median cut's time, and smaller files at the same colours;
    # zlib level 6: a seventh of "optimize"'s time for 10% more bytes.
    small = image.quantize(colors=EMBED_COLOURS, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    out = io.BytesIO()
    small.save(out, format="PNG", compress_level=6)
    return out.getvalue() if out.tell() < len(png) else png


def figure_entries(figures: Sequence[tuple[str, str, bytes]], page_copies: bool = False) -> list[dict]:
    """Each (title, caption, PNG) once, as a palette PNG (``page_copies``: the PNGs are such
    copies already, made by ``embedded_png``): a thumbnail on the page that opens full size
    (templates/report.html), anchored fig-1, fig-2, ..."""
    return [{"stem": f"{i + 1}", "title": title, "caption": caption,
             "data": base64.b64encode(png if page_copies else embedded_png(png)).decode("ascii")}
            for i, (title, caption, png) in enumerate(figures)]
