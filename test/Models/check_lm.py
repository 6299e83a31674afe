"""Checks lm.test's results (lm_demo.py --json) with margins: what the
published pattern predicts and this model shows (docs/Algorithms.md)."""
import json
import sys

r = json.load(open(sys.argv[1]))
p = {k: v["perplexity"] for k, v in r.items()}
mb = {k: v["weight_mb"] for k, v in r.items()}


def closes(method, rtn):
    """The fraction of round to nearest's gap to fp32 that `method` closes."""
    return (p[rtn] - p[method]) / (p[rtn] - p["fp32"])


print("w8a8 within 3% of fp32:", p["w8a8-dynamic"] < 1.03 * p["fp32"],
      p["w8a8-static"] < 1.03 * p["fp32"])
print("attention's matmuls quantized too, within 3% of fp32:",
      p["w8a8-dynamic-attn"] < 1.03 * p["fp32"])
print("smoothquant no worse than static:", p["w8a8-static-sq"] < 1.01 * p["w8a8-static"])
print("int4 rtn opens a gap:", p["w4g32-rtn"] > p["fp32"], p["w4g128-rtn"] > p["w4g32-rtn"])
print("int4 g128: gptq closes a quarter", closes("w4g128-gptq", "w4g128-rtn") > 0.25,
      "awq a tenth", closes("w4g128-awq", "w4g128-rtn") > 0.1)
print("int4 g32: gptq closes a tenth", closes("w4g32-gptq", "w4g32-rtn") > 0.1)
print("int3 g32: gptq closes a third", closes("w3g32-gptq", "w3g32-rtn") > 0.33,
      "more than at 4 bits", closes("w3g32-gptq", "w3g32-rtn") > closes("w4g32-gptq", "w4g32-rtn"))
print("mixed precision: more bytes, lower perplexity:", mb["mp-high"] > mb["mp-low"],
      p["mp-high"] < p["mp-low"])
