// A stand-in model for fake-bin/quant-run (report-models.test) that fails.
// fake-model: {"layers": ["fc1"], "step": 0, "fail": "fake.mlir:3:1: something went wrong"}
