// RUN: quant-opt %s --split-input-file --qnt-buffer-cache --verify-diagnostics | FileCheck %s
// RUN: quant-opt %s --split-input-file --qnt-buffer-cache="min-bytes=4096 max-bytes=1048576" --verify-diagnostics | FileCheck %s --check-prefix=OPTS
// RUN: quant-opt %s --split-input-file --qnt-buffer-cache="max-bytes=0" --verify-diagnostics | FileCheck %s --check-prefix=OFF
// RUN: not quant-opt %s --split-input-file --qnt-buffer-cache="min-bytes=0" 2>&1 | FileCheck %s --check-prefix=BAD
// BAD: error: qnt-buffer-cache: min-bytes must be positive and max-bytes not negative

// The declarations finalize-memref-to-llvm{use-generic-functions} leaves
// become the allocator's definitions; malloc, declared already, is kept once.
// CHECK-LABEL: llvm.func @user
// CHECK-DAG: llvm.mlir.global internal @__qnt_cache_lock(0 : i32)
// CHECK-DAG: llvm.func @_mlir_memref_to_llvm_alloc(%{{.*}}: i64) -> !llvm.ptr {
// CHECK-DAG: llvm.func @_mlir_memref_to_llvm_free(%{{.*}}: !llvm.ptr) {
// CHECK-DAG: llvm.mlir.constant(262144 : i64)
// CHECK-DAG: llvm.mlir.constant(536870912 : i64)
// CHECK-DAG: llvm.atomicrmw xchg
// CHECK-DAG: llvm.call @malloc_usable_size
// CHECK-NOT: llvm.func @_mlir_memref_to_llvm_aligned_alloc
// OPTS-DAG: llvm.mlir.constant(4096 : i64)
// OPTS-DAG: llvm.mlir.constant(1048576 : i64)
// The cache off: no block is large enough to be kept.
// OFF-DAG: llvm.mlir.constant(9223372036854775807 : i64)
module {
  llvm.func @malloc(i64) -> !llvm.ptr
  llvm.func @_mlir_memref_to_llvm_alloc(i64) -> !llvm.ptr
  llvm.func @_mlir_memref_to_llvm_free(!llvm.ptr)
  llvm.func @user(%n: i64) {
    %p = llvm.call @_mlir_memref_to_llvm_alloc(%n) : (i64) -> !llvm.ptr
    llvm.call @_mlir_memref_to_llvm_free(%p) : (!llvm.ptr) -> ()
    %q = llvm.call @malloc(%n) : (i64) -> !llvm.ptr
    llvm.return
  }
}

// -----

// Nothing to define: no generic allocation function is declared.
// CHECK-LABEL: llvm.func @plain
// CHECK-NOT: __qnt_cache
// OPTS-LABEL: llvm.func @plain
// OFF-LABEL: llvm.func @plain
module {
  llvm.func @plain() {
    llvm.return
  }
}

// -----

// A module that defines the allocation functions keeps its own.
// CHECK-LABEL: llvm.func @_mlir_memref_to_llvm_alloc(%arg0: i64) -> !llvm.ptr {
// CHECK-NEXT: llvm.mlir.zero
// CHECK-NOT: __qnt_cache
// OPTS-LABEL: llvm.func @_mlir_memref_to_llvm_alloc
// OFF-LABEL: llvm.func @_mlir_memref_to_llvm_alloc
module {
  llvm.func @_mlir_memref_to_llvm_alloc(%n: i64) -> !llvm.ptr {
    %0 = llvm.mlir.zero : !llvm.ptr
    llvm.return %0 : !llvm.ptr
  }
  llvm.func @_mlir_memref_to_llvm_free(!llvm.ptr)
}

// -----

// A `free` that is not the C library's is an error, not a wrong call.
module {
  llvm.func @_mlir_memref_to_llvm_free(!llvm.ptr)
  // expected-error @+1 {{qnt-buffer-cache: 'free' is not the C library function the allocator calls}}
  llvm.func @free(i64)
}
