#!/usr/bin/python3
"""Checks that a screenshot is a valid, non-blank PNG of the expected size.

  check_png.py SHOT.png --width W --height H [--min-colours N] [--bands B]
  check_png.py SHOT.png --crop Y0:Y1 --out PART.png   (cut rows, for looking)

Validates the signature and every chunk's CRC, decodes the image (8-bit RGB or
RGBA, not interlaced: what Chromium writes) with zlib and numpy, and checks:
its size; more than N distinct colours; and that each of B horizontal bands has
non-background pixels (the page is drawn top to bottom, not just a header).
Prints one summary line; exits 1 with a message on any failure.
"""

import argparse
import struct
import sys
import zlib

import numpy as np

SIGNATURE = b"\x89PNG\r\n\x1a\n"


def fail(msg):
    print(f"check_png: error: {msg}", file=sys.stderr)
    sys.exit(1)


def read_png(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != SIGNATURE:
        fail(f"{path}: not a PNG (bad signature)")
    pos, idat, ihdr, seen_end = 8, [], None, False
    while pos < len(data):
        if pos + 12 > len(data):
            fail(f"{path}: truncated chunk at byte {pos}")
        (n,) = struct.unpack(">I", data[pos:pos + 4])
        ctype = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + n]
        (crc,) = struct.unpack(">I", data[pos + 8 + n:pos + 12 + n])
        if len(body) != n or zlib.crc32(ctype + body) & 0xFFFFFFFF != crc:
            fail(f"{path}: bad {ctype!r} chunk (length or CRC)")
        if ctype == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif ctype == b"IDAT":
            idat.append(body)
        elif ctype == b"IEND":
            seen_end = True
            break
        pos += 12 + n
    if ihdr is None or not idat or not seen_end:
        fail(f"{path}: missing IHDR, IDAT or IEND")
    w, h, depth, colour, _, _, interlace = ihdr
    if depth != 8 or colour not in (2, 6) or interlace != 0:
        fail(f"{path}: unsupported PNG (depth {depth}, colour type {colour}, "
             f"interlace {interlace}); expected 8-bit RGB/RGBA")
    bpp = 3 if colour == 2 else 4
    raw = zlib.decompress(b"".join(idat))
    stride = w * bpp
    if len(raw) != h * (stride + 1):
        fail(f"{path}: image data has {len(raw)} bytes, expected {h * (stride + 1)}")
    return w, h, bpp, unfilter(raw, w, h, bpp)


def unfilter(raw, w, h, bpp):
    stride = w * bpp
    rows = np.frombuffer(raw, dtype=np.uint8).reshape(h, stride + 1)
    out = np.zeros((h, stride), dtype=np.uint8)
    prev = np.zeros(stride, dtype=np.uint8)
    for y in range(h):
        ftype, line = rows[y, 0], rows[y, 1:]
        if ftype == 0:
            cur = line.copy()
        elif ftype == 1:  # Sub: running sum per channel, mod 256
            cur = (np.cumsum(line.reshape(w, bpp).astype(np.int64), axis=0) % 256
                   ).astype(np.uint8).ravel()
        elif ftype == 2:  # Up
            cur = line + prev
        elif ftype in (3, 4):  # Average, Paeth: sequential in x
            cur = bytearray(line.tobytes())
            up = prev.tobytes()
            for i in range(stride):
                a = cur[i - bpp] if i >= bpp else 0
                b = up[i]
                if ftype == 3:
                    cur[i] = (cur[i] + ((a + b) >> 1)) & 0xFF
                else:
                    c = up[i - bpp] if i >= bpp else 0
                    p = a + b - c
                    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                    cur[i] = (cur[i] + pred) & 0xFF
            cur = np.frombuffer(bytes(cur), dtype=np.uint8)
        else:
            fail(f"bad filter type {ftype} in row {y}")
        out[y] = cur
        prev = cur
    return out.reshape(h, w, bpp)


def write_png(path, pixels):
    h, w, bpp = pixels.shape
    raw = b"".join(b"\x00" + pixels[y].tobytes() for y in range(h))

    def chunk(t, body):
        return (struct.pack(">I", len(body)) + t + body
                + struct.pack(">I", zlib.crc32(t + body) & 0xFFFFFFFF))

    with open(path, "wb") as f:
        f.write(SIGNATURE + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8,
                                                       2 if bpp == 3 else 6, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b""))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("png")
    p.add_argument("--width", type=int)
    p.add_argument("--height", type=int)
    p.add_argument("--min-colours", type=int, default=64)
    p.add_argument("--bands", type=int, default=8)
    p.add_argument("--crop", help="Y0:Y1 rows to cut out (with --out)")
    p.add_argument("--out")
    args = p.parse_args()

    w, h, bpp, px = read_png(args.png)
    if args.crop:
        y0, y1 = (int(v) for v in args.crop.split(":"))
        write_png(args.out, np.ascontiguousarray(px[y0:y1]))
        return
    if (args.width and w != args.width) or (args.height and h != args.height):
        fail(f"{args.png}: size {w}x{h}, expected {args.width}x{args.height}")
    rgb = px[:, :, :3].astype(np.uint32)
    packed = (rgb[:, :, 0] << 16) | (rgb[:, :, 1] << 8) | rgb[:, :, 2]
    colours = np.unique(packed).size
    if colours <= args.min_colours:
        fail(f"{args.png}: only {colours} distinct colours (blank or broken page?)")
    values, counts = np.unique(packed, return_counts=True)
    background = values[np.argmax(counts)]
    empty = [i for i, band in enumerate(np.array_split(packed, args.bands, axis=0))
             if not np.any(band != background)]
    if empty:
        fail(f"{args.png}: horizontal bands {empty} of {args.bands} are blank")
    print(f"check_png: {w}x{h}, {colours} colours, background #{int(background):06x}, "
          f"{args.bands} non-blank bands")


if __name__ == "__main__":
    main()
