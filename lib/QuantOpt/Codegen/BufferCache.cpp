//===- BufferCache.cpp - An allocator in the module that reuses buffers ---===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// qnt-buffer-cache: defines `_mlir_memref_to_llvm_alloc` and
// `_mlir_memref_to_llvm_free` (what finalize-memref-to-llvm calls with
// use-generic-functions) in the module, as a small cache of large freed
// blocks in front of malloc/free. Compiled code allocates each tensor on
// every call; glibc returns blocks above its mmap threshold to the kernel,
// and the next call's fresh pages fault in again (on the example CNN, 90%
// of a call). quant-run used to raise glibc's thresholds (mallopt) for the
// whole process, which an application linking an object from quant-compile
// does not get; this puts the reuse into the compiled code itself.
//
// The allocator is written in the LLVM dialect (parsed from the text below)
// rather than in higher dialects: it is added after the lowering, where the
// declarations it defines exist, and its calls of malloc/free must not be
// taken for allocations to lower. Upstream MLIR has no caching allocator to
// reuse (its generic functions are plain malloc/free in the runner
// utilities, which an object should not need).
//
//===----------------------------------------------------------------------===//

#include "QuantOpt/Codegen/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Parser/Parser.h"

namespace quantopt {
#define GEN_PASS_DEF_QNTBUFFERCACHE
#include "QuantOpt/Codegen/Passes.h.inc"
} // namespace quantopt

using namespace mlir;

namespace {

constexpr llvm::StringLiteral kAllocName = "_mlir_memref_to_llvm_alloc";
constexpr llvm::StringLiteral kAlignedAllocName =
    "_mlir_memref_to_llvm_aligned_alloc";
constexpr llvm::StringLiteral kFreeName = "_mlir_memref_to_llvm_free";

/// The allocator. @MIN@: the smallest cached block, @MAX@: the most bytes
/// kept.
/// 256 slots of (usable size, address); a slot with size 0 is empty. The lock
/// is one word, only ever tried (xchg): a thread that finds it taken goes
/// to malloc/free, so no caller waits. A block is handed to a request of
/// `size` bytes when its usable size is in [size, size + size/8 + 8192];
/// the smallest such block is taken.
constexpr const char *kAllocatorSource = R"mlir(
llvm.mlir.global internal @__qnt_cache_sizes() : !llvm.array<256 x i64> {
  %0 = llvm.mlir.zero : !llvm.array<256 x i64>
  llvm.return %0 : !llvm.array<256 x i64>
}
llvm.mlir.global internal @__qnt_cache_blocks() : !llvm.array<256 x i64> {
  %0 = llvm.mlir.zero : !llvm.array<256 x i64>
  llvm.return %0 : !llvm.array<256 x i64>
}
llvm.mlir.global internal @__qnt_cache_bytes(0 : i64) : i64
llvm.mlir.global internal @__qnt_cache_lock(0 : i32) : i32
llvm.func @malloc(i64) -> !llvm.ptr
llvm.func @aligned_alloc(i64, i64) -> !llvm.ptr
llvm.func @free(!llvm.ptr)
llvm.func @malloc_usable_size(!llvm.ptr) -> i64

// Takes the lock if it is free; never waits.
llvm.func internal @__qnt_cache_try_lock() -> i1 {
  %lock = llvm.mlir.addressof @__qnt_cache_lock : !llvm.ptr
  %one = llvm.mlir.constant(1 : i32) : i32
  %zero = llvm.mlir.constant(0 : i32) : i32
  %old = llvm.atomicrmw xchg %lock, %one acquire : !llvm.ptr, i32
  %got = llvm.icmp "eq" %old, %zero : i32
  llvm.return %got : i1
}

llvm.func internal @__qnt_cache_unlock() {
  %lock = llvm.mlir.addressof @__qnt_cache_lock : !llvm.ptr
  %zero = llvm.mlir.constant(0 : i32) : i32
  llvm.store %zero, %lock atomic release {alignment = 4 : i64} : i32, !llvm.ptr
  llvm.return
}

// Under the lock: removes and returns the best cached block for `size`
// bytes (its address), or 0.
llvm.func internal @__qnt_cache_take(%size: i64) -> i64 {
  %c0 = llvm.mlir.constant(0 : i64) : i64
  %c1 = llvm.mlir.constant(1 : i64) : i64
  %c3 = llvm.mlir.constant(3 : i64) : i64
  %slots = llvm.mlir.constant(256 : i64) : i64
  %slack = llvm.mlir.constant(8192 : i64) : i64
  %none = llvm.mlir.constant(-1 : i64) : i64
  %sizes = llvm.mlir.addressof @__qnt_cache_sizes : !llvm.ptr
  %blocks = llvm.mlir.addressof @__qnt_cache_blocks : !llvm.ptr
  %bytes = llvm.mlir.addressof @__qnt_cache_bytes : !llvm.ptr
  %eighth = llvm.lshr %size, %c3 : i64
  %limit0 = llvm.add %size, %eighth : i64
  %limit = llvm.add %limit0, %slack : i64
  llvm.br ^loop(%c0, %none, %none : i64, i64, i64)
^loop(%i: i64, %best: i64, %bestSize: i64):
  %done = llvm.icmp "eq" %i, %slots : i64
  llvm.cond_br %done, ^end, ^body
^body:
  %sp = llvm.getelementptr %sizes[0, %i] : (!llvm.ptr, i64) -> !llvm.ptr, !llvm.array<256 x i64>
  %s = llvm.load %sp : !llvm.ptr -> i64
  %large = llvm.icmp "uge" %s, %size : i64
  %close = llvm.icmp "ule" %s, %limit : i64
  %smaller = llvm.icmp "ult" %s, %bestSize : i64
  %fit = llvm.and %large, %close : i1
  %ok = llvm.and %fit, %smaller : i1
  %nextBest = llvm.select %ok, %i, %best : i1, i64
  %nextSize = llvm.select %ok, %s, %bestSize : i1, i64
  %next = llvm.add %i, %c1 : i64
  llvm.br ^loop(%next, %nextBest, %nextSize : i64, i64, i64)
^end:
  %found = llvm.icmp "ne" %best, %none : i64
  llvm.cond_br %found, ^take, ^miss
^take:
  %tsp = llvm.getelementptr %sizes[0, %best] : (!llvm.ptr, i64) -> !llvm.ptr, !llvm.array<256 x i64>
  %tbp = llvm.getelementptr %blocks[0, %best] : (!llvm.ptr, i64) -> !llvm.ptr, !llvm.array<256 x i64>
  %block = llvm.load %tbp : !llvm.ptr -> i64
  llvm.store %c0, %tsp : i64, !llvm.ptr
  llvm.store %c0, %tbp : i64, !llvm.ptr
  %held = llvm.load %bytes : !llvm.ptr -> i64
  %left = llvm.sub %held, %bestSize : i64
  llvm.store %left, %bytes : i64, !llvm.ptr
  llvm.return %block : i64
^miss:
  llvm.return %c0 : i64
}

// Under the lock: keeps `block` of `size` usable bytes in an empty slot;
// false when the slots or the byte budget are full.
llvm.func internal @__qnt_cache_put(%block: i64, %size: i64) -> i1 {
  %c0 = llvm.mlir.constant(0 : i64) : i64
  %c1 = llvm.mlir.constant(1 : i64) : i64
  %slots = llvm.mlir.constant(256 : i64) : i64
  %max = llvm.mlir.constant(@MAX@ : i64) : i64
  %yes = llvm.mlir.constant(true) : i1
  %no = llvm.mlir.constant(false) : i1
  %sizes = llvm.mlir.addressof @__qnt_cache_sizes : !llvm.ptr
  %blocks = llvm.mlir.addressof @__qnt_cache_blocks : !llvm.ptr
  %bytes = llvm.mlir.addressof @__qnt_cache_bytes : !llvm.ptr
  %held = llvm.load %bytes : !llvm.ptr -> i64
  %total = llvm.add %held, %size : i64
  %fits = llvm.icmp "ule" %total, %max : i64
  llvm.cond_br %fits, ^loop(%c0 : i64), ^full
^loop(%i: i64):
  %done = llvm.icmp "eq" %i, %slots : i64
  llvm.cond_br %done, ^full, ^body
^body:
  %sp = llvm.getelementptr %sizes[0, %i] : (!llvm.ptr, i64) -> !llvm.ptr, !llvm.array<256 x i64>
  %s = llvm.load %sp : !llvm.ptr -> i64
  %empty = llvm.icmp "eq" %s, %c0 : i64
  %next = llvm.add %i, %c1 : i64
  llvm.cond_br %empty, ^keep, ^loop(%next : i64)
^keep:
  %bp = llvm.getelementptr %blocks[0, %i] : (!llvm.ptr, i64) -> !llvm.ptr, !llvm.array<256 x i64>
  llvm.store %size, %sp : i64, !llvm.ptr
  llvm.store %block, %bp : i64, !llvm.ptr
  llvm.store %total, %bytes : i64, !llvm.ptr
  llvm.return %yes : i1
^full:
  llvm.return %no : i1
}

llvm.func @_mlir_memref_to_llvm_alloc(%size: i64) -> !llvm.ptr {
  %c0 = llvm.mlir.constant(0 : i64) : i64
  %min = llvm.mlir.constant(@MIN@ : i64) : i64
  %large = llvm.icmp "uge" %size, %min : i64
  llvm.cond_br %large, ^try, ^malloc
^try:
  %got = llvm.call @__qnt_cache_try_lock() : () -> i1
  llvm.cond_br %got, ^search, ^malloc
^search:
  %block = llvm.call @__qnt_cache_take(%size) : (i64) -> i64
  llvm.call @__qnt_cache_unlock() : () -> ()
  %hit = llvm.icmp "ne" %block, %c0 : i64
  llvm.cond_br %hit, ^found, ^malloc
^found:
  %p = llvm.inttoptr %block : i64 to !llvm.ptr
  llvm.return %p : !llvm.ptr
^malloc:
  %q = llvm.call @malloc(%size) : (i64) -> !llvm.ptr
  llvm.return %q : !llvm.ptr
}

// Aligned requests are not served from the cache (a cached block need not
// be aligned); their blocks are cached when freed, for any later request.
llvm.func @_mlir_memref_to_llvm_aligned_alloc(%alignment: i64, %size: i64) -> !llvm.ptr {
  %q = llvm.call @aligned_alloc(%alignment, %size) : (i64, i64) -> !llvm.ptr
  llvm.return %q : !llvm.ptr
}

// Frees every cached block (the JIT calls it before its code and globals
// go away, which would otherwise drop the blocks unfreed). Waits for the
// lock: callers run it when no call of the module is in flight.
llvm.func @_qnt_buffer_cache_release() {
  %c0 = llvm.mlir.constant(0 : i64) : i64
  %c1 = llvm.mlir.constant(1 : i64) : i64
  %slots = llvm.mlir.constant(256 : i64) : i64
  %sizes = llvm.mlir.addressof @__qnt_cache_sizes : !llvm.ptr
  %blocks = llvm.mlir.addressof @__qnt_cache_blocks : !llvm.ptr
  %bytes = llvm.mlir.addressof @__qnt_cache_bytes : !llvm.ptr
  llvm.br ^lock
^lock:
  %got = llvm.call @__qnt_cache_try_lock() : () -> i1
  llvm.cond_br %got, ^loop(%c0 : i64), ^lock
^loop(%i: i64):
  %done = llvm.icmp "eq" %i, %slots : i64
  llvm.cond_br %done, ^end, ^body
^body:
  %sp = llvm.getelementptr %sizes[0, %i] : (!llvm.ptr, i64) -> !llvm.ptr, !llvm.array<256 x i64>
  %bp = llvm.getelementptr %blocks[0, %i] : (!llvm.ptr, i64) -> !llvm.ptr, !llvm.array<256 x i64>
  %block = llvm.load %bp : !llvm.ptr -> i64
  %next = llvm.add %i, %c1 : i64
  %empty = llvm.icmp "eq" %block, %c0 : i64
  llvm.cond_br %empty, ^loop(%next : i64), ^release
^release:
  %p = llvm.inttoptr %block : i64 to !llvm.ptr
  llvm.call @free(%p) : (!llvm.ptr) -> ()
  llvm.store %c0, %sp : i64, !llvm.ptr
  llvm.store %c0, %bp : i64, !llvm.ptr
  llvm.br ^loop(%next : i64)
^end:
  llvm.store %c0, %bytes : i64, !llvm.ptr
  llvm.call @__qnt_cache_unlock() : () -> ()
  llvm.return
}

llvm.func @_mlir_memref_to_llvm_free(%p: !llvm.ptr) {
  %c0 = llvm.mlir.constant(0 : i64) : i64
  %min = llvm.mlir.constant(@MIN@ : i64) : i64
  %address = llvm.ptrtoint %p : !llvm.ptr to i64
  %null = llvm.icmp "eq" %address, %c0 : i64
  llvm.cond_br %null, ^done, ^size
^size:
  %n = llvm.call @malloc_usable_size(%p) : (!llvm.ptr) -> i64
  %large = llvm.icmp "uge" %n, %min : i64
  llvm.cond_br %large, ^try, ^free
^try:
  %got = llvm.call @__qnt_cache_try_lock() : () -> i1
  llvm.cond_br %got, ^put, ^free
^put:
  %kept = llvm.call @__qnt_cache_put(%address, %n) : (i64, i64) -> i1
  llvm.call @__qnt_cache_unlock() : () -> ()
  llvm.cond_br %kept, ^done, ^free
^free:
  llvm.call @free(%p) : (!llvm.ptr) -> ()
  llvm.br ^done
^done:
  llvm.return
}
)mlir";

struct QntBufferCachePass
    : public quantopt::impl::QntBufferCacheBase<QntBufferCachePass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    // Only the generic functions the lowering declared are defined; a module
    // that defines them itself keeps its own.
    SmallVector<StringRef> wanted;
    for (StringRef name : {kAllocName, kAlignedAllocName, kFreeName}) {
      auto f = module.lookupSymbol<LLVM::LLVMFuncOp>(name);
      if (f && f.isExternal())
        wanted.push_back(name);
      else if (f)
        return;
    }
    if (wanted.empty())
      return;
    if (minBytes < 1 || maxBytes < 0) {
      module.emitError("qnt-buffer-cache: min-bytes must be positive and "
                       "max-bytes not negative");
      return signalPassFailure();
    }
    // max-bytes=0: no block is ever cached.
    int64_t smallest = maxBytes == 0 ? INT64_MAX : int64_t(minBytes);
    std::string source = kAllocatorSource;
    auto substitute = [&](StringRef key, int64_t value) {
      for (size_t at; (at = source.find(key.str())) != std::string::npos;)
        source.replace(at, key.size(), std::to_string(value));
    };
    substitute("@MIN@", smallest);
    substitute("@MAX@", maxBytes);
    OwningOpRef<ModuleOp> allocator =
        parseSourceString<ModuleOp>(source, ParserConfig(&getContext()));
    if (!allocator) {
      module.emitError("qnt-buffer-cache: the allocator does not parse");
      return signalPassFailure();
    }

    // Move the allocator in: the declarations the module lacks, every
    // definition the generic functions need, and nothing unused.
    OpBuilder builder(module.getBodyRegion());
    builder.setInsertionPointToEnd(module.getBody());
    for (Operation &op :
         llvm::make_early_inc_range(allocator->getBody()->getOperations())) {
      auto symbol = dyn_cast<SymbolOpInterface>(op);
      if (!symbol)
        continue;
      StringRef name = symbol.getName();
      bool isGeneric = name == kAllocName || name == kAlignedAllocName ||
                       name == kFreeName;
      if (isGeneric && !llvm::is_contained(wanted, name))
        continue;
      Operation *existing = module.lookupSymbol(name);
      auto func = dyn_cast<LLVM::LLVMFuncOp>(op);
      if (existing && func && func.isExternal()) {
        auto other = dyn_cast<LLVM::LLVMFuncOp>(existing);
        if (!other || other.getFunctionType() != func.getFunctionType()) {
          existing->emitError("qnt-buffer-cache: '")
              << name << "' is not the C library function the allocator "
              << "calls";
          return signalPassFailure();
        }
        continue;
      }
      if (existing && isGeneric) {
        existing->erase();
      } else if (existing) {
        existing->emitError("qnt-buffer-cache: the allocator's symbol '")
            << name << "' is taken";
        return signalPassFailure();
      }
      op.moveBefore(module.getBody(), module.getBody()->end());
    }
  }
};

} // namespace
