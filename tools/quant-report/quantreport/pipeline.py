"""Runs the C++ tools: instrument both models, dump their observed
activations, and ask quant-stats for the clipping ranges.

The exact command lines (docs/Report.md lists them too):
  quant-opt MODEL.mlir --qnt-insert-observers -o OUT.mlir
  quant-run OUT.mlir --entry E --data X.npy [--data Y.npy ...]
            --dump-observed DIR --max-samples N --batch-size B
            [--data-axis=A0,A1,...] [--output-axis=A0,A1,...]
  quant-stats ranges STATS.json --json
"""

import json
import os
import shlex
import shutil
import subprocess
import sys

from .errors import ReportError
from .inputs import parse_ranges

# quant-run's flag for a data set of samples (stacked along axis 0) per
# entry argument.
QUANT_RUN_DATA_FLAG = "--data"


def default_tools_dir():
    """<repo>/build/bin, the repo being two levels above this package."""
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.normpath(os.path.join(here, "..", "..", "..", "build", "bin"))


def find_tool(name, tools_dir):
    """tools_dir given: it must hold the tool. Otherwise build/bin of this
    repo, then PATH."""
    if tools_dir:
        p = os.path.join(tools_dir, name)
        if os.path.isfile(p) and os.access(p, os.X_OK):
            return p
        raise ReportError(f"{name} not found in --tools-dir '{tools_dir}'")
    p = os.path.join(default_tools_dir(), name)
    if os.path.isfile(p) and os.access(p, os.X_OK):
        return p
    found = shutil.which(name)
    if found:
        return found
    raise ReportError(f"{name} not found in '{default_tools_dir()}' nor on PATH "
                      "(build QuantOpt or pass --tools-dir)")


def run(cmd, verbose=False):
    """Runs cmd; returns its stdout. A failure raises ReportError with the
    command and its stderr."""
    if verbose:
        print("quant-report: running " + shlex.join(cmd), file=sys.stderr, flush=True)
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           stdin=subprocess.DEVNULL)
    except OSError as e:
        raise ReportError(f"cannot run {shlex.join(cmd)}: {e}")
    if p.returncode != 0:
        err = p.stderr.decode("utf-8", "replace").rstrip()
        how = (f"exit code {p.returncode}" if p.returncode > 0
               else f"signal {-p.returncode}")
        raise ReportError(f"{os.path.basename(cmd[0])} failed ({how}): {shlex.join(cmd)}"
                          + (f"\n{err}" if err else " (no error output)"))
    return p.stdout.decode("utf-8", "replace")


def dump_model(tools, model, entry, data, out_dir, work_dir, tag, max_samples,
               batch_size, verbose=False, data_axes=None, output_axes=None):
    instrumented = os.path.join(work_dir, f"{tag}.observed.mlir")
    run([tools["quant-opt"], model, "--qnt-insert-observers", "-o", instrumented],
        verbose)
    cmd = [tools["quant-run"], instrumented, "--entry", entry]
    for d in data:
        cmd += [QUANT_RUN_DATA_FLAG, d]
    cmd += ["--dump-observed", out_dir, "--max-samples", str(max_samples),
            "--batch-size", str(batch_size)]
    if data_axes:
        cmd.append("--data-axis=" + ",".join(map(str, data_axes)))
    if output_axes:
        cmd.append("--output-axis=" + ",".join(map(str, output_axes)))
    run(cmd, verbose)
    if not os.path.isfile(os.path.join(out_dir, "observers.json")):
        raise ReportError(f"quant-run wrote no '{out_dir}/observers.json' for the "
                          f"{tag} model")


def ranges_from_stats(tools, stats_path, verbose=False):
    cmd = [tools["quant-stats"], "ranges", stats_path, "--json"]
    out = run(cmd, verbose)
    try:
        doc = json.loads(out)
    except json.JSONDecodeError as e:
        raise ReportError(f"{shlex.join(cmd)} printed no valid JSON: {e}")
    return parse_ranges(doc, shlex.join(cmd))  # (ranges, meta)
