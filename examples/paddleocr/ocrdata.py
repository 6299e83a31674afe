"""Inputs for PaddleOCR's models, rendered with Debian's DejaVu fonts
(fonts-dejavu-core) and preprocessed as PaddleOCR does; shared by
ocr_demo.py and bench/models.py.
"""
import os
import sys

import numpy as np
from PIL import Image, ImageDraw, ImageFont

FONTS = ["DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSansMono.ttf",
         "DejaVuSerif.ttf", "DejaVuSansCondensed.ttf"]
FONT_DIR = "/usr/share/fonts/truetype/dejavu"
WORDS = ("the quick brown fox jumps over lazy dog model compiler integer kernel "
         "scale zero point round table river mountain window garden yellow "
         "invoice total amount paid order number street city station north "
         "south coffee bread market office during before after winter summer "
         "Monday Friday April October Berlin Paris London Tokyo").split()


def fonts():
    """The DejaVu font files present."""
    found = [os.path.join(FONT_DIR, f) for f in FONTS
             if os.path.exists(os.path.join(FONT_DIR, f))]
    if not found:
        sys.exit("ocr_demo: no DejaVu fonts in " + FONT_DIR + " (fonts-dejavu-core)")
    return found


def make_text(rng):
    words = [WORDS[i] for i in rng.integers(0, len(WORDS), rng.integers(2, 4))]
    if rng.random() < 0.5:
        words.append(str(int(rng.integers(10, 99999))))
    return " ".join(words)


def render_line(text, font_path, size=32):
    font = ImageFont.truetype(font_path, size)
    left, top, right, bottom = font.getbbox(text)
    image = Image.new("L", (right - left + 16, bottom - top + 12), 255)
    ImageDraw.Draw(image).text((8 - left, 6 - top), text, fill=0, font=font)
    return image


def to_input(image, height, width):
    # PaddleOCR's preprocessing: height 48 keeping the aspect ratio (at most
    # `width`), (x / 255 - 0.5) / 0.5, zero padding on the right; 3 channels.
    w = min(width, max(1, int(round(image.width * height / image.height))))
    resized = np.asarray(image.resize((w, height), Image.BILINEAR), np.float32)
    out = np.zeros((3, height, width), np.float32)
    out[:, :, :w] = (resized / 255 - 0.5) / 0.5
    return out



def page(texts, font_paths, size=320):
    """A size x size page of `texts` (18 px) and the mask of their boxes,
    normalized as PaddleOCR's detector expects (ImageNet mean and std)."""
    image = Image.new("L", (size, size), 255)
    mask = np.zeros((size, size), bool)
    y = 10
    for i, t in enumerate(texts):
        font = ImageFont.truetype(font_paths[i % len(font_paths)], 18)
        left, top, right, bottom = font.getbbox(t)
        if y + bottom - top > size - 10:
            break
        ImageDraw.Draw(image).text((10 - left, y - top), t, fill=0, font=font)
        mask[y:y + bottom - top, 10:10 + min(right - left, size - 20)] = True
        y += bottom - top + 14
    rgb = np.asarray(image, np.float32)[None].repeat(3, 0) / 255
    mean = np.array([0.485, 0.456, 0.406], np.float32)[:, None, None]
    std = np.array([0.229, 0.224, 0.225], np.float32)[:, None, None]
    return (rgb - mean) / std, mask
