#!/usr/bin/python3
"""quant-report: per-layer error of a quantized model against its float
original, as a text table and a self-contained HTML page (docs/Report.md).

Model mode (runs quant-opt, quant-run and, with --stats, quant-stats):
  quant-report.py --float F.mlir --quantized Q.mlir --entry main --data x.npy
                  [--data y.npy ...] [--stats stats.json] [--max-samples 256]
                  [--batch-size 32] [--data-axis 0,1] [--output-axis 0,1]
                  [--html report.html] [--text report.txt] [--tools-dir DIR]
Dump mode (analysis and rendering only, from two quant-run dump directories):
  quant-report.py --float-dump DIR --quantized-dump DIR [--stats stats.json]
                  [--ranges ranges.json] [--html ...] [--text ...]

Run it with Debian's /usr/bin/python3 (numpy); no other package is needed.
"""

import argparse
import os
import shlex
import shutil
import sys
import tempfile

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from quantreport import analysis, inputs, pipeline, render  # noqa: E402
from quantreport.errors import ReportError  # noqa: E402

PROG = "quant-report"


def axes_list(text):
    try:
        axes = [int(a) for a in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a comma-separated list "
                                         "of axes")
    if any(a < 0 for a in axes):
        raise argparse.ArgumentTypeError(f"'{text}': axes are not negative")
    return axes


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog=PROG, description="Per-layer float-vs-quantized error report "
        "(SQNR, MSE, max abs error) with activation histograms and calibration "
        "clipping ranges.")
    m = p.add_argument_group("model mode")
    m.add_argument("--float", dest="float_model", metavar="F.mlir",
                   help="the float model")
    m.add_argument("--quantized", dest="quantized_model", metavar="Q.mlir",
                   help="the quantized model (same observer ids)")
    m.add_argument("--entry", default="main", help="function to run (default: main)")
    m.add_argument("--data", action="append", default=[], metavar="X.npy",
                   help="samples along axis 0 (or --data-axis), one file per entry "
                   "argument (repeat)")
    m.add_argument("--data-axis", type=axes_list, metavar="A0,A1,...",
                   help="the sample axis of each --data file, in order (default: 0 "
                   "for all), e.g. 0,1 for an input [N, T] and a state [2, N, H]")
    m.add_argument("--output-axis", type=axes_list, metavar="A0,A1,...",
                   help="the sample axis of each model result, in order (default: 0)")
    m.add_argument("--max-samples", type=int, default=256, metavar="N",
                   help="compare the first N samples (default: 256)")
    m.add_argument("--batch-size", type=int, default=32, metavar="B",
                   help="samples per call (default: 32)")
    m.add_argument("--tools-dir", metavar="DIR",
                   help="where quant-opt, quant-run and quant-stats are (default: "
                   "build/bin of this repository, then PATH)")
    m.add_argument("--keep-temp", action="store_true",
                   help="keep the instrumented models and dumps and print where")
    d = p.add_argument_group("dump mode")
    d.add_argument("--float-dump", metavar="DIR",
                   help="quant-run --dump-observed directory of the float model")
    d.add_argument("--quantized-dump", metavar="DIR",
                   help="the same for the quantized model")
    c = p.add_argument_group("common")
    c.add_argument("--stats", metavar="STATS.json",
                   help="calibration statistics (version 2): histograms, and "
                   "clipping ranges through quant-stats")
    c.add_argument("--ranges", metavar="RANGES.json",
                   help="clipping ranges as `quant-stats ranges --json` prints them "
                   "(instead of running quant-stats)")
    c.add_argument("--html", metavar="FILE", help="write the HTML report")
    c.add_argument("--text", metavar="FILE", help="also write the text table here")
    c.add_argument("--title", default="QuantOpt per-layer quantization error",
                   help="page title")
    c.add_argument("-v", "--verbose", action="store_true",
                   help="print the commands run")
    args = p.parse_args(argv)

    dump_mode = args.float_dump is not None or args.quantized_dump is not None
    if dump_mode:
        if args.float_dump is None or args.quantized_dump is None:
            p.error("dump mode needs both --float-dump and --quantized-dump")
        if (args.float_model or args.quantized_model or args.data or args.data_axis
                or args.output_axis):
            p.error("--float/--quantized/--data/--data-axis/--output-axis and "
                    "--float-dump/--quantized-dump exclude each other")
    else:
        missing = [f for f, v in (("--float", args.float_model),
                                  ("--quantized", args.quantized_model),
                                  ("--data", args.data)) if not v]
        if missing:
            p.error("missing " + ", ".join(missing)
                    + " (or use --float-dump and --quantized-dump)")
        if args.data_axis and len(args.data_axis) != len(args.data):
            p.error(f"--data-axis names {len(args.data_axis)} axes for "
                    f"{len(args.data)} --data files")
    if args.max_samples < 1 or args.batch_size < 1:
        p.error("--max-samples and --batch-size must be at least 1")
    args.dump_mode = dump_mode
    return args


def write_atomic(path, text):
    """Writes to a temporary file beside `path`, then renames it over."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix="." + os.path.basename(path) + ".",
                               suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def check_input(path, what):
    if not os.path.isfile(path):
        raise ReportError(f"{what} '{path}' does not exist")


def check_output(path, flag):
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise ReportError(f"{flag}: directory '{directory}' does not exist")
    if os.path.isdir(path):
        raise ReportError(f"{flag}: '{path}' is a directory")


def main(argv):
    args = parse_args(argv)
    for path, flag in ((args.html, "--html"), (args.text, "--text")):
        if path:
            check_output(path, flag)
    if args.stats:
        check_input(args.stats, "stats file")
    ranges, ranges_meta = inputs.load_ranges(args.ranges) if args.ranges else (None, {})
    stats = inputs.load_stats(args.stats) if args.stats else None

    ctx_inputs = []
    work = None
    try:
        if args.dump_mode:
            fdir, qdir = args.float_dump, args.quantized_dump
            ctx_inputs += [("float dump", fdir), ("quantized dump", qdir)]
        else:
            check_input(args.float_model, "float model")
            check_input(args.quantized_model, "quantized model")
            for d in args.data:
                check_input(d, "data file")
            names = ["quant-opt", "quant-run"]
            if args.stats and ranges is None:
                names.append("quant-stats")
            tools = {n: pipeline.find_tool(n, args.tools_dir) for n in names}
            ctx_inputs += [("float model", args.float_model),
                           ("quantized model", args.quantized_model),
                           ("entry", args.entry)]
            ctx_inputs += [(f"data {i}", f"{d} ({inputs.npy_summary(d)}"
                            + (f", samples on axis {args.data_axis[i]}"
                               if args.data_axis else "") + ")")
                           for i, d in enumerate(args.data)]
            ctx_inputs += [("samples", f"first {args.max_samples}, "
                            f"batches of {args.batch_size}"),
                           ("tools", os.path.dirname(tools["quant-run"]))]
            work = tempfile.mkdtemp(prefix="quant-report-")
            fdir = os.path.join(work, "float")
            qdir = os.path.join(work, "quantized")
            for tag, model, out in (("float", args.float_model, fdir),
                                    ("quantized", args.quantized_model, qdir)):
                pipeline.dump_model(tools, model, args.entry, args.data, out, work, tag,
                                    args.max_samples, args.batch_size, args.verbose,
                                    args.data_axis, args.output_axis)
            if args.stats and ranges is None:
                ranges, ranges_meta = pipeline.ranges_from_stats(tools, args.stats,
                                                                 args.verbose)

        if stats:
            header = stats[0]
            if header.get("version") == 1:
                desc = f"{args.stats} (version 1: min and max only, " \
                       f"{len(stats[1])} activations)"
            else:
                desc = f"{args.stats} (model {header.get('model', '?')}, " \
                       f"{header.get('histogram_bins', '?')} bins, " \
                       f"{len(stats[1])} activations)"
            ctx_inputs.append(("stats", desc))
        if ranges is not None:
            src = args.ranges if args.ranges else f"quant-stats ranges {args.stats} --json"
            if ranges_meta.get("percentile") is not None:
                src += f" (percentile method: {ranges_meta['percentile']:g}%)"
            ctx_inputs.append(("clipping ranges", src))

        report = analysis.analyze(fdir, qdir, stats, ranges)
    finally:
        if work and not args.keep_temp:
            shutil.rmtree(work, ignore_errors=True)
        elif work:
            print(f"quant-report: kept instrumented models and dumps in {work}",
                  file=sys.stderr)

    dumped = ("No stats file: activation histograms are computed from the dumped "
              f"float values ({render.samples_text(report['samples'])})")
    if stats:
        hist_note = None
    elif ranges:
        hist_note = dumped + "; the threshold lines are the given clipping ranges."
    else:
        hist_note = dumped + ", and no clipping thresholds are drawn."
    text = render.render_text(report)
    page = None
    if args.html:
        cmd = shlex.join([os.path.basename(sys.argv[0])] + list(argv))
        page = render.render_html(report, {"title": args.title, "command": cmd,
                                           "inputs": ctx_inputs, "hist_note": hist_note})
    try:
        if page is not None:
            write_atomic(args.html, page)
        if args.text:
            write_atomic(args.text, text)
    except OSError as e:
        raise ReportError(f"cannot write the report: {e}")
    sys.stdout.write(text)
    if args.html:
        print(f"quant-report: wrote {args.html}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except ReportError as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
