#!/usr/bin/python3
"""Checks that a quant-report HTML page is self-contained and well formed.

  check_html.py REPORT.html --svgs N

Fails (exit 1) when the page: refers to anything outside itself (any "http",
"<script", "<link", "<img", "<iframe", "@import", or a url(...) that is not
a same-page "#id"); has unbalanced tags (checked with html.parser, void
elements aside); has an <svg> without a viewBox; or does not hold exactly N
<svg> elements. Prints one summary line for FileCheck.
"""

import argparse
import re
import sys
from html.parser import HTMLParser

VOID = {"meta", "br", "hr", "img", "input", "link", "col", "area", "base", "wbr",
        "source", "param", "track", "embed"}
# SVG elements written self-closed (<rect .../>) are reported by
# handle_startendtag and never pushed.


class Checker(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.errors, self.svgs, self.tags = [], [], 0, 0

    def handle_starttag(self, tag, attrs):
        self.tags += 1
        if tag == "svg":
            self.svgs += 1
            if "viewbox" not in dict(attrs):
                self.errors.append(f"<svg> number {self.svgs} has no viewBox")
        if tag not in VOID:
            self.stack.append((tag, self.getpos()))

    def handle_startendtag(self, tag, attrs):
        self.tags += 1

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1][0] != tag:
            top = self.stack[-1] if self.stack else None
            self.errors.append(f"</{tag}> at {self.getpos()} closes {top}")
            return
        self.stack.pop()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("html")
    p.add_argument("--svgs", type=int, required=True)
    args = p.parse_args()
    text = open(args.html, encoding="utf-8").read()
    errors = []
    low = text.lower()
    for bad in ("http", "<script", "<link", "<img", "<iframe", "@import"):
        if bad in low:
            errors.append(f"contains {bad!r} (at {low.index(bad)})")
    for m in re.finditer(r"url\(([^)]*)\)", text):
        if not m.group(1).strip("'\" ").startswith("#"):
            errors.append(f"external url({m.group(1)})")
    c = Checker()
    c.feed(text)
    c.close()
    errors += c.errors
    if c.stack:
        errors.append(f"unclosed tags: {c.stack[-5:]}")
    if c.svgs != args.svgs:
        errors.append(f"{c.svgs} <svg> elements, expected {args.svgs}")
    if not low.startswith("<!doctype html>"):
        errors.append("no <!DOCTYPE html>")
    if errors:
        for e in errors:
            print(f"check_html: error: {args.html}: {e}", file=sys.stderr)
        sys.exit(1)
    print(f"check_html: self-contained, {c.svgs} svg, {c.tags} tags")


if __name__ == "__main__":
    main()
