"""Checks lm.test's results (lm_demo.py --json) with margins."""
import json
import sys

r = json.load(open(sys.argv[1]))
p = {k: v["perplexity"] for k, v in r.items()}
mb = {k: v["weight_mb"] for k, v in r.items()}
print("w8a8 within 3% of fp32:", p["w8a8-dynamic"] < 1.03 * p["fp32"],
      p["w8a8-static"] < 1.03 * p["fp32"])
# The gap round to nearest opens must shrink by at least a tenth.
gap = p["w4g32-rtn"] - p["fp32"]
print("int4 g32: gptq < rtn", p["w4g32-gptq"] < p["w4g32-rtn"] - 0.1 * gap,
      "awq < rtn", p["w4g32-awq"] < p["w4g32-rtn"] - 0.1 * gap)
print("smoothquant no worse than static:", p["w8a8-static-sq"] < 1.01 * p["w8a8-static"])
print("mixed precision: more bytes, lower perplexity:", mb["mp-high"] > mb["mp-low"],
      p["mp-high"] < p["mp-low"])
