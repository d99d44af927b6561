"""A payload's QR image as SVG text (segno): the same picture in the API and at GET /codes/<payload>.svg."""

from __future__ import annotations

import io
from functools import lru_cache

import segno

SCALE = 4   # pixels per module in the SVG's own size; it scales without loss
BORDER = 4  # the quiet zone the QR specification asks for, in modules


@lru_cache(maxsize=256)  # the image of a payload never changes; the same code is drawn again and again
def svg(payload: str) -> str:
    """A standalone SVG document (no XML declaration) of the payload's QR code, error correction M."""
    code = segno.make_qr(payload, error="m", boost_error=False)
    out = io.BytesIO()
    code.save(out, kind="svg", scale=SCALE, border=BORDER, xmldecl=False, svgclass=None, lineclass=None,
              title="imwallet collection code")
    return out.getvalue().decode()
