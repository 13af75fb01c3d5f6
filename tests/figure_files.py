"""Reading figure files back for the tests: what a PNG, SVG or PDF says about its size, and
the images report.html embeds.  Checks of content, so that a test never passes on a file
that merely exists or is large."""

from __future__ import annotations

import base64
import re
import struct
import xml.etree.ElementTree as ET

from sim.viz.save import DPI, png_bytes  # noqa: F401  (DPI: the resolution of every PNG file)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def png_size(blob: bytes) -> tuple[int, int]:
    """(width, height) in pixels from the IHDR chunk, which must come first."""
    assert blob[:8] == PNG_MAGIC, "not a PNG"
    length, kind = struct.unpack(">I4s", blob[8:16])
    assert kind == b"IHDR" and length == 13, "PNG without IHDR first"
    return struct.unpack(">II", blob[16:24])


def svg_size_pt(blob: bytes) -> tuple[float, float]:
    root = ET.fromstring(blob)
    assert root.tag.endswith("svg")
    return tuple(float(root.get(k).removesuffix("pt")) for k in ("width", "height"))


def pdf_size_pt(blob: bytes) -> tuple[float, float]:
    assert blob.startswith(b"%PDF")
    boxes = re.findall(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", blob)
    assert len(boxes) == 1, "one page"
    return float(boxes[0][0]), float(boxes[0][1])


def has_size_of(size: tuple[float, float], fig, per_inch: float) -> bool:
    """A file's (width, height) is the figure's size (a figure, or its (width, height) in
    inches) at ``per_inch`` pixels (DPI) or points (72), to the pixel the renderer rounds to."""
    width, height = fig.get_size_inches() if hasattr(fig, "get_size_inches") else fig
    return abs(size[0] - width * per_inch) <= 1 and abs(size[1] - height * per_inch) <= 1


def embedded_pngs(html: str) -> list[bytes]:
    """Every image report.html embeds, decoded."""
    return [base64.b64decode(data) for data in re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)]


def same_figure(blob: bytes, fig) -> bool:
    """The PNG file is byte for byte this figure saved by routesim (saving is reproducible)."""
    return blob == png_bytes(fig)
