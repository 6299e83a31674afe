// A stand-in model for fake-bin/quant-run (report-models.test); no MLIR is
// parsed. The float model: layer inputs are not rounded.
// fake-model: {"layers": ["fc1", "fc2", "fc3", "head"], "step": 0}
func.func @main(%x: tensor<?x6xf32>, %y: tensor<?x2xf32>) -> tensor<?x8xf32>
