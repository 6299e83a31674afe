// A stand-in model for fake-bin/quant-run (report-models.test) whose observer
// ids differ from fake-float.mlir's (fc3 renamed to fc3b).
// fake-model: {"layers": ["fc1", "fc2", "fc3b", "head"], "step": 0.125}
