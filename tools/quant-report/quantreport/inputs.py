"""Readers for what the C++ tools write.

Dump directory (quant-run --dump-observed DIR):
  DIR/observers.json   {"observers": ["fc1", "fc2", ...]} in model order,
                       optionally "files": {id: file name in DIR}
  DIR/<id>.npy         the first N samples of that activation (axis 0)
  DIR/out0.npy, ...    the model outputs for those samples

Stats file (quant-run calibration, version 2): see docs/Report.md.
Ranges (quant-stats ranges STATS --json, version 1):
  {"version": 1, "ranges": {"fc1": {"minmax": [lo, hi], ...}, ...}}
"""

import json
import math
import os

import numpy as np

from .errors import ReportError


def _load_json(path, what):
    try:
        with open(path, "r", encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        raise ReportError(f"{what} '{path}' does not exist")
    except (OSError, UnicodeDecodeError) as e:
        raise ReportError(f"cannot read {what} '{path}': {e}")
    except json.JSONDecodeError as e:
        raise ReportError(f"{what} '{path}' is not valid JSON: {e}")


def load_npy(path):
    try:
        return np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise ReportError(f"'{path}' does not exist")
    except (OSError, ValueError) as e:
        raise ReportError(f"cannot read '{path}' as .npy: {e}")


def npy_summary(path):
    """'shape dtype' of a .npy file without reading its data."""
    try:
        a = np.load(path, mmap_mode="r", allow_pickle=False)
        return f"{'x'.join(str(d) for d in a.shape) or 'scalar'} {a.dtype}"
    except (OSError, ValueError) as e:
        raise ReportError(f"cannot read '{path}' as .npy: {e}")


class DumpDir:
    """One model's dump: observer ids in model order and its outputs."""

    def __init__(self, path, label):
        self.path = path
        self.label = label
        if not os.path.isdir(path):
            raise ReportError(f"{label} dump directory '{path}' does not exist")
        index = os.path.join(path, "observers.json")
        doc = _load_json(index, f"{label} observer list")
        ids = doc.get("observers") if isinstance(doc, dict) else None
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise ReportError(
                f"{label} observer list '{index}' must be "
                '{"observers": ["id", ...]}')
        if len(set(ids)) != len(ids):
            dup = sorted({i for i in ids if ids.count(i) > 1})
            raise ReportError(f"{label} observer list '{index}' repeats "
                              f"{', '.join(dup)}")
        self.observers = ids
        # quant-run names the files after the ids with unsafe characters
        # replaced ("files": {id: file}); without the map, <id>.npy.
        files = doc.get("files", {})
        if not isinstance(files, dict) or not all(
                isinstance(v, str) and os.path.basename(v) == v for v in files.values()):
            raise ReportError(f"{label} observer list '{index}': \"files\" must map "
                              "ids to file names in the directory")
        self.files = files
        for i in ids:
            if not os.path.isfile(self.observer_path(i)):
                raise ReportError(f"{label} dump has no '{self.observer_path(i)}' "
                                  f"for observer '{i}' listed in {index}")
        self.outputs = []
        while os.path.isfile(os.path.join(path, f"out{len(self.outputs)}.npy")):
            self.outputs.append(f"out{len(self.outputs)}")

    def observer_path(self, ident):
        return os.path.join(self.path, self.files.get(ident, ident + ".npy"))

    def output_path(self, name):
        return os.path.join(self.path, name + ".npy")


def load_stats(path):
    """Returns (header dict, {id: activation dict with 'hist_edges' and
    'hist_counts' numpy arrays added}). Version 1 files (min and max only)
    give entries whose 'hist_edges' is None."""
    doc = _load_json(path, "stats file")
    version = doc.get("version") if isinstance(doc, dict) else None
    if version not in (1, 2):
        raise ReportError(f"stats file '{path}': expected \"version\": 2 (or 1), got "
                          f"{version if isinstance(doc, dict) else doc!r}")
    acts = doc.get("activations")
    if not isinstance(acts, dict):
        raise ReportError(f"stats file '{path}' has no \"activations\" object")
    out = {}
    for ident, a in acts.items():
        where = f"stats file '{path}', activation '{ident}'"
        if not isinstance(a, dict):
            raise ReportError(f"{where}: expected an object")
        if version == 1:
            out[ident] = dict(a, hist_edges=None, hist_counts=None)
            continue
        h = a.get("histogram")
        try:
            log2w = int(h["log2_width"])
            start = int(h["start"])
            counts = np.asarray(h["counts"], dtype=np.float64)
        except (TypeError, KeyError, ValueError) as e:
            raise ReportError(f"{where}: bad \"histogram\" ({e!s})")
        if counts.ndim != 1 or counts.size == 0 or np.any(counts < 0):
            raise ReportError(f"{where}: histogram counts must be a non-empty "
                              "list of non-negative numbers")
        edges = np.ldexp(np.arange(start, start + counts.size + 1, dtype=np.float64),
                         log2w)
        entry = dict(a)
        entry["hist_edges"] = edges
        entry["hist_counts"] = counts
        out[ident] = entry
    header = {k: v for k, v in doc.items() if k != "activations"}
    return header, out


def parse_ranges(doc, where):
    """Validates ranges JSON (already parsed) -> ({id: {method: (lo, hi)}},
    {"percentile": P or None})."""
    if not isinstance(doc, dict) or doc.get("version") != 1:
        raise ReportError(f"{where}: expected \"version\": 1")
    ranges = doc.get("ranges")
    if not isinstance(ranges, dict):
        raise ReportError(f"{where}: no \"ranges\" object")
    out = {}
    for ident, methods in ranges.items():
        if not isinstance(methods, dict):
            raise ReportError(f"{where}: ranges of '{ident}' must be an object")
        out[ident] = {}
        for m, r in methods.items():
            ok = (isinstance(r, list) and len(r) == 2
                  and all(isinstance(x, (int, float)) and not isinstance(x, bool)
                          and math.isfinite(x) for x in r))
            if not ok:
                raise ReportError(f"{where}: range '{m}' of '{ident}' must be "
                                  f"[lo, hi] with finite numbers, got {r!r}")
            out[ident][m] = (float(r[0]), float(r[1]))
    p = doc.get("percentile")
    meta = {"percentile": p if isinstance(p, (int, float)) and not isinstance(p, bool)
            else None}
    return out, meta


def load_ranges(path):
    return parse_ranges(_load_json(path, "ranges file"), f"ranges file '{path}'")
