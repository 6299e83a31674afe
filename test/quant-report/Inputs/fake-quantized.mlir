// A stand-in model for fake-bin/quant-run (report-models.test); no MLIR is
// parsed. The "quantized" model: every layer input rounded to a multiple of 1/8.
// fake-model: {"layers": ["fc1", "fc2", "fc3", "head"], "step": 0.125}
func.func @main(%x: tensor<?x6xf32>, %y: tensor<?x2xf32>) -> tensor<?x8xf32>
