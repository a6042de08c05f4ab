"""The personal layer stitched into the shared page (docs/personal-layer.md, ADR 0024).

A signed-in reader whose page script runs gets the shared article page and then
asks for their personal layer: two front-cache hits per page view. When the front
cache already holds a fresh layer for this session and page, it answers the page
with the layer inside it, as data the script reads instead of asking:

    ...</footer>
    <script type="application/json" id="personal-layer-data">{...}</script></body>
    </html>

The block is not executed (a data block, so the strict CSP holds), and `<`, `>`
and `&` in the JSON are written as \\u003c, \\u003e, \\u0026, so nothing in a string
(a comment's text in a held comment's HTML) can close it or open another element.

Nothing is compressed per request. A gzip member is a raw deflate stream between
a 10-byte header and an 8-byte trailer (CRC-32 and length), and a deflate stream
flushed with Z_SYNC_FLUSH ends on a byte boundary after a non-final block, so
another stream's blocks can follow it. So the shared page is gzipped once as two
streams: everything before `</body>` (ended with Z_SYNC_FLUSH) and the rest (ended
with Z_FINISH). Its gzipped bytes are a valid gzip file on their own (what every
unstitched reader gets), and the layer's script block is compressed once when the
layer is kept (ended with Z_SYNC_FLUSH). A stitched answer only joins:

    header + page prefix + layer block + page rest + CRC-32 + length

the CRC-32 continued over the block and the rest from the prefix's (a few kB of
`zlib.crc32` per request).

This module knows bytes only; the front cache decides when a layer may be used.
"""

import re
import struct
import zlib
from dataclasses import dataclass

# What a stitched page carries; personal-layer.js looks for this id.
DATA_ELEMENT_ID = "personal-layer-data"
_BLOCK_START = b'<script type="application/json" id="' + DATA_ELEMENT_ID.encode() + b'">'
_BLOCK_END = b"</script>"
_STITCH_BEFORE = b"</body>"
# The page's rest after the stitch point: anything else means the last `</body>`
# was not the page's own closing tag.
_PAGE_END = re.compile(rb"</body>\s*</html>\s*")
# gzip's header as gzip.compress(..., mtime=0) writes it: no name, no time,
# "unknown" operating system.
GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
_LEVEL = 6
_RAW_DEFLATE = -zlib.MAX_WBITS


@dataclass(frozen=True)
class StitchPoint:
    """Where a stored page takes a layer: its body splits at `at` (before `</body>`),
    and its gzipped copy holds the prefix's deflate stream at [len(header), gzip_at)."""

    at: int
    gzip_at: int
    prefix_crc: int


@dataclass(frozen=True)
class LayerBlock:
    """A kept layer as a page's data block: plain, and as deflate blocks that end
    on a byte boundary (Z_SYNC_FLUSH), ready to be joined into any page's gzip."""

    plain: bytes
    deflated: bytes
    etag_part: bytes

    @property
    def size(self) -> int:
        return len(self.plain) + len(self.deflated)


def compress_page(body: bytes) -> tuple[bytes, StitchPoint | None]:
    """The page's gzip (decompressing to `body` exactly), and where a layer can be
    stitched in, or None when the page has no closing `</body>` of its own."""
    at = body.rfind(_STITCH_BEFORE)
    if at < 0 or not _PAGE_END.fullmatch(body, at):
        return _gzip_member(body), None
    prefix = body[:at]
    prefix_stream = _deflate(prefix, zlib.Z_SYNC_FLUSH)
    rest_stream = _deflate(body[at:], zlib.Z_FINISH)
    gzipped = GZIP_HEADER + prefix_stream + rest_stream + _trailer(zlib.crc32(body), len(body))
    point = StitchPoint(
        at=at, gzip_at=len(GZIP_HEADER) + len(prefix_stream), prefix_crc=zlib.crc32(prefix)
    )
    return gzipped, point


def layer_block(layer_json: bytes, layer_etag: bytes) -> LayerBlock:
    """The data block for a layer's JSON, compressed once (when the layer is kept)."""
    safe = layer_json.replace(b"&", b"\\u0026").replace(b"<", b"\\u003c").replace(b">", b"\\u003e")
    plain = _BLOCK_START + safe + _BLOCK_END
    return LayerBlock(
        plain=plain,
        deflated=_deflate(plain, zlib.Z_SYNC_FLUSH),
        etag_part=_etag_inside(layer_etag),
    )


def stitched_body(body: bytes, point: StitchPoint, block: LayerBlock) -> bytes:
    """The page with the layer's block before `</body>`."""
    return b"".join((memoryview(body)[: point.at], block.plain, memoryview(body)[point.at :]))


def stitched_gzip(body: bytes, gzipped: bytes, point: StitchPoint, block: LayerBlock) -> bytes:
    """The gzip of `stitched_body(body, point, block)`, joined from parts compressed
    before this request (the page's when stored, the block's when kept)."""
    view = memoryview(gzipped)
    crc = zlib.crc32(body[point.at :], zlib.crc32(block.plain, point.prefix_crc))
    return b"".join(
        (
            view[: point.gzip_at],  # header and prefix, ending on a sync flush
            block.deflated,
            view[point.gzip_at : -8],  # the page's rest, with the final block
            _trailer(crc, len(body) + len(block.plain)),
        )
    )


def stitched_etag(page_etag: bytes, block: LayerBlock) -> bytes:
    """One ETag for the page and the layer: a 304 only when neither changed."""
    return b'"' + _etag_inside(page_etag) + b"." + block.etag_part + b'"'


def _etag_inside(etag: bytes) -> bytes:
    return etag.strip().removeprefix(b"W/").strip(b'"')


def _deflate(data: bytes, flush_mode: int) -> bytes:
    compressor = zlib.compressobj(_LEVEL, zlib.DEFLATED, _RAW_DEFLATE)
    return compressor.compress(data) + compressor.flush(flush_mode)


def _gzip_member(body: bytes) -> bytes:
    return GZIP_HEADER + _deflate(body, zlib.Z_FINISH) + _trailer(zlib.crc32(body), len(body))


def _trailer(crc: int, size: int) -> bytes:
    return struct.pack("<II", crc & 0xFFFFFFFF, size & 0xFFFFFFFF)
