"""quant-report: per-layer float-vs-quantized error report (docs/Report.md).

Modules:
  errors   -- ReportError, the one exception turned into "error: ..." + exit 1
  metrics  -- SQNR / MSE / max abs error of two arrays
  inputs   -- reading dump directories, stats.json (v2) and ranges JSON (v1)
  analysis -- pairs the dumps and computes everything the renderers show
  svg      -- the inline SVG charts (no external resources)
  render   -- the text table and the self-contained HTML page
  pipeline -- running quant-opt / quant-run / quant-stats
"""
