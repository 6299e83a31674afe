# -*- Python -*-
# lit configuration of the QuantOpt test suite.

import os

import lit.formats
from lit.llvm import llvm_config

config.name = "QuantOpt"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.quantopt_obj_root, "test")
config.excludes = ["CMakeLists.txt", "README.md", "lit.cfg.py",
                   "lit.site.cfg.py", "Inputs"]

# Every FileCheck variable is scoped to its CHECK-LABEL block.
config.environment["FILECHECK_OPTS"] = "-enable-var-scope"

llvm_config.use_default_substitutions()
llvm_config.with_system_environment(["HOME", "TMPDIR", "ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"])

config.substitutions.append(("%sanitize_link_flags", config.sanitize_link_flags))
config.substitutions.append(("%quant_opt", os.path.join(config.quantopt_tools_dir, "quant-opt")))
config.substitutions.append(("%quant_run", os.path.join(config.quantopt_tools_dir, "quant-run")))
# Debian's python3 (with python3-numpy), whatever python3 comes first on PATH.
config.substitutions.append(("%python", config.python_numpy))
config.substitutions.append(("%clangxx", config.cxx_compiler))
config.substitutions.append(("%clang_c", config.c_compiler))

tool_dirs = [config.quantopt_tools_dir, config.llvm_tools_dir]
llvm_config.add_tool_substitutions(["quant-opt", "quant-run", "quant-compile", "quant-params", "quant-stats", "quant-import-onnx", "qnt-bench", "FileCheck",
                                    "not", "count"], tool_dirs)
llvm_config.add_tool_substitutions(["mlir-tblgen", "mlir-translate", "llc"], [config.llvm_tools_dir])
config.substitutions.append(("%llvm_include", "/usr/lib/llvm-22/include"))
config.substitutions.append(("%quant_bin", config.quantopt_tools_dir))

# CPU features of this machine: tests that execute kernels forced to an
# instruction set (isa=vnni) need it. The JIT compiles for the host CPU.
def _cpu_flags():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


_flags = _cpu_flags()
if {"avx512_vnni", "avx512vl", "avx512bw"} <= _flags:
    config.available_features.add("x86-avx512-vnni")
# AMX-INT8 tiles (qnt-vnni-matmul{amx}); Linux grants them on request.
if {"amx_int8", "amx_tile"} <= _flags:
    config.available_features.add("x86-amx-int8")
# AVX512-BF16 (vdpbf16ps): the bf16 kernels' native lowering runs.
if {"avx512_bf16", "avx512f"} <= _flags:
    config.available_features.add("x86-avx512-bf16")
# AVX-VNNI (VEX, 256-bit), as on Alder Lake: quant-compile --cpu alderlake.
if {"avx_vnni", "avx2", "fma", "bmi2"} <= _flags:
    config.available_features.add("x86-avx-vnni")

# The build directory (for `cmake --install` in test/install).
config.substitutions.append(("%quantopt_obj_root", config.quantopt_obj_root))
