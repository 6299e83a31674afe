//===- KernelLoops.h - The loop nest shared by the matmul kernels -*- C++ -*-===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// The matmul kernels of --qnt-codegen (qnt-vnni-matmul, qnt-f32-matmul,
// qnt-weight-only-matmul) share one loop nest around their register tiles
// (docs/Codegen.md): column units outermost, so that a group's packed weights
// stay in cache while every row tile streams past them.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTOPT_LIB_CODEGEN_KERNELLOOPS_H
#define QUANTOPT_LIB_CODEGEN_KERNELLOOPS_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/PatternMatch.h"

namespace quantopt {

/// Builds a qnt.kernel at `outer`'s insertion point: the kernel's tensors
/// are added as inputs and outputs and come back as the body's buffers; the
/// body is built with getBody(); finish() creates the op (after everything
/// `outer` built meanwhile, which the body may use) and returns its results.
/// One-shot bufferization chooses the buffers (docs/Codegen.md).
class KernelBuilder {
public:
  KernelBuilder(mlir::OpBuilder &outer, mlir::Location loc);
  ~KernelBuilder();
  KernelBuilder(const KernelBuilder &) = delete;
  KernelBuilder &operator=(const KernelBuilder &) = delete;

  /// A tensor the kernel reads, as a buffer of `type`.
  mlir::Value addInput(mlir::Value tensor, mlir::MemRefType type);
  /// The tensor the kernel writes (its result `i` for the i-th output), as a
  /// buffer of `type`.
  mlir::Value addOutput(mlir::Value tensor, mlir::MemRefType type);
  /// A constant the kernel reads (packed weights, sums, scales): an
  /// arith.constant before the kernel (a global after bufferization), as an
  /// identity-layout buffer.
  mlir::Value addConstant(mlir::DenseElementsAttr value);
  /// A tensor the kernel reads, as a buffer with a unit innermost stride
  /// (unitInnerStride).
  mlir::Value addStridedInput(mlir::Value tensor);
  /// A fresh result of `type` (a tensor.empty with `dynamicSizes` before the
  /// kernel), as an identity-layout buffer.
  mlir::Value addFreshOutput(mlir::RankedTensorType type,
                             mlir::ValueRange dynamicSizes);
  /// The builder of the kernel's body.
  mlir::OpBuilder &getBody() { return body; }
  /// Creates the qnt.kernel; its results, one per output.
  llvm::SmallVector<mlir::Value> finish();

  /// The buffer type of `type` with the identity layout.
  static mlir::MemRefType identity(mlir::RankedTensorType type);
  /// The buffer type of `type` with a unit innermost stride and any other
  /// strides and offset (what vector loads need; subviews fit without a
  /// copy).
  static mlir::MemRefType unitInnerStride(mlir::RankedTensorType type);

private:
  mlir::OpBuilder &outer;
  mlir::Location loc;
  mlir::Block *block;
  mlir::OpBuilder body;
  llvm::SmallVector<mlir::Value> inputs, outputs;
};

/// Applies the kernel patterns of one pass under `root` with the greedy
/// driver, without folding or region simplification: the passes replace
/// ops by kernels and leave the cleanup to the canonicalizer after them.
llvm::LogicalResult applyKernelPatterns(mlir::Operation *root,
                                        mlir::RewritePatternSet &&patterns);

/// Whether `lanes` is a vector width the kernels build (16 or 8 i32 lanes);
/// otherwise an error on `root` naming `pass`.
llvm::LogicalResult checkLanes(mlir::Operation *root, llvm::StringRef pass,
                               int64_t lanes);

/// Whether `threads` is at least 1; otherwise an error on `root` naming
/// `pass`.
llvm::LogicalResult checkThreads(mlir::Operation *root, llvm::StringRef pass,
                                 int64_t threads);

/// Loop nests with fewer elements (or iterations) than this stay on one
/// thread under `threads` > 1: waking the others costs more (on Silero's
/// VAD, tiny ops made two threads five times slower than one). A dynamic
/// size counts as enough. Shared by qnt-parallel-loops and
/// qnt-vectorize-elementwise.
constexpr int64_t kMinParallelElements = 1 << 15;

/// Whether a loop nest over `shape` has at least kMinParallelElements
/// iterations (any dynamic size counts as enough).
bool hasParallelWork(llvm::ArrayRef<int64_t> shape);

/// Rows per register tile, and column blocks (16 lanes each) per tile.
constexpr int64_t kRowTile = 4;
constexpr int64_t kColTile = 4;
/// Rows per share of the matmul kernels' loop nest with threads (a
/// multiple of kRowTile).
constexpr int64_t kRowsPerShare = 16;
/// Rows per share when K is in chunks (KChunks).
constexpr int64_t kChunkedRowsPerShare = 256;

/// `base + d` as an index value (`base` itself for d = 0).
mlir::Value offsetIndex(mlir::OpBuilder &b, mlir::Location loc,
                        mlir::Value base, int64_t d);

/// The sizes of a kernel's result of `type` read off `init` (getDimSize)
/// into `dims`, and those of its dynamic dimensions into `dynamicSizes`
/// (for addFreshOutput).
void getResultSizes(mlir::OpBuilder &b, mlir::Location loc, mlir::Value init,
                    mlir::RankedTensorType type,
                    llvm::MutableArrayRef<mlir::Value> dims,
                    llvm::SmallVectorImpl<mlir::Value> &dynamicSizes);

/// The size of dimension `d` of `tensor`, read from the tensor.empty under
/// its destination-passing chain (linalg.fill ...) when there is one, so
/// that asking for a size keeps no computation alive.
mlir::Value getDimSize(mlir::OpBuilder &b, mlir::Location loc,
                       mlir::Value tensor, int64_t d);

/// One k step of an f32 tile: per row r, the activation `a[aIndices[r]]`
/// broadcast and multiplied into every weight vector of `weights`, added to
/// `accs[r * weights.size() + c]` (vector.fma); returns the new
/// accumulators in the same order.
llvm::SmallVector<mlir::Value>
accumulateRows(mlir::OpBuilder &b, mlir::Location loc, mlir::Value a,
               llvm::ArrayRef<llvm::SmallVector<mlir::Value>> aIndices,
               llvm::ArrayRef<mlir::Value> weights, mlir::ValueRange accs);

/// Emits a tile body for rows [row0, row0 + rows) and column units
/// [unit0, unit0 + units).
using TileEmitter = llvm::function_ref<void(
    mlir::OpBuilder &, mlir::Value row0, int64_t rows, mlir::Value unit0,
    int64_t units)>;

/// Wraps the row loops of column units [unit0, unit0 + units): emits what
/// comes before them (e.g. a panel of dequantized weights the tiles read),
/// calls `rows` once, and emits what comes after. `worker` is the index of
/// the parallel worker that runs them (0 without workers): what it owns
/// (its panel) is its own.
using ColumnScope = llvm::function_ref<void(
    mlir::OpBuilder &, mlir::Value worker, mlir::Value unit0, int64_t units,
    llvm::function_ref<void(mlir::OpBuilder &)> rows)>;

/// K in chunks (cache blocking): a column group whose weights are larger
/// than L2 (the fp32 kernel's [K][64] floats for K = 11008 are 2.75 MiB)
/// would be read from L3 by every row tile; in chunks of K, each chunk is
/// read once from L3 and then from L2 by the row tiles of a share. A tile
/// starts chunk 0 from its usual start (the init), every other chunk from
/// the partial sums the previous chunk stored, and finishes the last chunk
/// as usual (epilogue, store); the others store their partial sums. Each
/// output's multiply-adds keep their order, so the results are the
/// unchunked kernel's bit for bit.
struct KChunks {
  /// Steps of K per chunk and chunks (count 1: K whole, no partial sums).
  int64_t size = 0, count = 1;
  /// The chunk being emitted (an index; emitColumnMajorTiles sets it around
  /// the row loops).
  mlir::Value index;
  /// f32 [M][columns] partial sums, padded to whole column blocks.
  mlir::Value partial;

  bool enabled() const { return count > 1; }
  /// The steps [begin, end) of the current chunk of `steps` (all of them
  /// when not enabled).
  std::pair<mlir::Value, mlir::Value>
  bounds(mlir::OpBuilder &b, mlir::Location loc, int64_t steps) const;
  /// A tile's accumulators at the start of the current chunk: `first` at
  /// chunk 0, else the partial sums at `positions` (one [row, column] per
  /// accumulator, of type `type`).
  llvm::SmallVector<mlir::Value>
  start(mlir::OpBuilder &b, mlir::Location loc, mlir::VectorType type,
        llvm::ArrayRef<llvm::SmallVector<mlir::Value, 2>> positions,
        llvm::function_ref<llvm::SmallVector<mlir::Value>(mlir::OpBuilder &)>
            first) const;
  /// After a chunk: `last` with the accumulators at the last chunk, else
  /// the accumulators stored as partial sums.
  void finish(
      mlir::OpBuilder &b, mlir::Location loc, mlir::ValueRange accs,
      llvm::ArrayRef<llvm::SmallVector<mlir::Value, 2>> positions,
      llvm::function_ref<void(mlir::OpBuilder &, mlir::ValueRange)> last) const;
};

/// Chunks of `steps` steps of K for a column group of `groupStepBytes`
/// bytes of weights per step: none while the group holds at most
/// kMaxUnchunkedBytes, else chunks of at most kChunkBytes, as even as
/// possible. `partial` is left to the kernel (allocateChunkPartials).
KChunks getKChunks(int64_t steps, int64_t groupStepBytes);
/// A group's weights up to this size are read whole; larger ones in chunks
/// of at most kChunkBytes, so that a chunk stays in L2 while the row tiles
/// walk it: 1 MiB on AMD Zen 5 (2 MiB on the Intel Xeons seen here). The
/// bound was 1 MiB until f32 128 x 4096 x 4096 (a 1 MiB group) measured
/// 0.77-0.89x oneDNN on Zen 5; in two chunks of 512 KiB it runs 1.12-1.13x
/// faster at one and two threads (64 x 4096 x 4096 and 512 x 4096 x 1024
/// 1.11-1.13x), interleaved in one process, identical results.
constexpr int64_t kMaxUnchunkedBytes = 512 * 1024;
constexpr int64_t kChunkBytes = 512 * 1024;
/// Allocates `chunks.partial` (when enabled) in the kernel's body: f32
/// [numRows][columns], freed by the deallocation pipeline.
void allocateChunkPartials(mlir::OpBuilder &b, mlir::Location loc,
                           KChunks &chunks, mlir::Value numRows,
                           int64_t columns);

/// The loop nest: column units in groups of `unitTile`, then the remaining
/// units one by one; within each (inside `scope`, when given), rows
/// [0, numRows) in tiles of kRowTile, then the remaining rows one by one.
/// When `parallel` (scf.parallel, for OpenMP): without a scope, one
/// scf.parallel over (column group, share of kRowsPerShare rows), and one
/// over (remaining unit, share of rows); with a scope, over the groups (the
/// remaining units on worker 0), or with `workers` > 0 over that many
/// workers, each taking a contiguous share of the groups, so that a worker
/// can own a buffer. With `serialBelowRows` > 1, fewer rows than that (a
/// static count, or a run-time test) take the nest without threads: an
/// OpenMP fork and join (1.5-2 us on this project's machines) would cost
/// more than the work it shares (rowsForThreads). With enabled `chunks`,
/// the rows of each column group (or share of rows), inside `scope`, are
/// emitted once per chunk of K, in an scf.for that sets `chunks->index`.
void emitColumnMajorTiles(mlir::OpBuilder &b, mlir::Location loc,
                          mlir::Value numRows, int64_t numUnits,
                          int64_t unitTile, bool parallel, TileEmitter emitTile,
                          ColumnScope scope = nullptr, int64_t workers = 0,
                          int64_t serialBelowRows = 0,
                          KChunks *chunks = nullptr);

/// Multiply-adds below which a matmul runs on one thread: measured with
/// int8 kernels at one row (1 x 1024 x 128, 131072 of them, took 1.6 us on
/// one thread and 3.2 us on two), and with f32 ones, four times slower per
/// multiply-add.
constexpr int64_t kMinParallelDotsI8 = 1 << 18;
constexpr int64_t kMinParallelDotsF32 = 1 << 16;

/// The rows from which a matmul of `dotsPerRow` multiply-adds per row
/// (K x N) has at least `minDots` of them (-1: `defaultDots`; 0: every
/// count shares): emitColumnMajorTiles's serialBelowRows.
int64_t rowsForThreads(int64_t dotsPerRow, int64_t minDots,
                       int64_t defaultDots);

/// From this many rows on, the weights of a column tile that cost work to
/// load (weight-only integers, f16) are converted once into an f32 panel
/// that the row tiles share (below: each row tile converts them itself,
/// which costs least when few rows share them).
constexpr int64_t kPanelRows = 16;
/// The largest panel: a whole column group (4 blocks) of the K steps it
/// holds, K or a chunk (KChunks), stays below this. A panel of fewer columns
/// than the fp32 tile makes the tiles load-bound: weight-only 256x4096x1024
/// ran at 0.89x fp32 with panels of 512 KiB, 2 column blocks, and at 1.08x
/// with 1 MiB, 4 blocks (K = 4096 in one piece; it is now two chunks of
/// 2048, panels of 512 KiB with 4 blocks). With a longer chunk the panel
/// would hold fewer columns, and past one unit the kernel would stream.
constexpr int64_t kMaxPanelBytes = kMaxUnchunkedBytes;
/// The largest one-thread panel on the stack; a larger one is allocated
/// once per call (as the per-thread panels are).
constexpr int64_t kMaxStackPanelBytes = 512 * 1024;

/// Fills `panel`, an f32 [K][panel columns] buffer, with the weights of
/// column units [unit0, unit0 + units) as the tiles read them.
using PanelFiller = llvm::function_ref<void(
    mlir::OpBuilder &, mlir::Value panel, mlir::Value unit0, int64_t units)>;

/// Emits a tile (as TileEmitter) that reads its weights from `panel`.
using PanelTileEmitter = llvm::function_ref<void(
    mlir::OpBuilder &, mlir::Value panel, mlir::Value row0, int64_t rows,
    mlir::Value unit0, int64_t units)>;

/// The column units of a panel (emitPanelTiles) of K rows of `unitCols`
/// floats per unit: at most `maxUnits`, halved until the panel holds at
/// most kMaxPanelBytes; 0 when no panel is used: one unit is still larger,
/// or the kernel is shared among threads of an unknown count (`parallel`
/// with `threads` < 2: no panel per thread).
int64_t getPanelUnits(int64_t k, int64_t unitCols, int64_t maxUnits,
                      bool parallel, int64_t threads);

/// The loop nests of weights that cost work to load (unpacked,
/// dequantized or widened), chosen at run time: from kPanelRows rows on,
/// per group of `unitTile` units, `fill` writes them once into an f32
/// panel [k][panelCols] that every row tile (`tile`) of the group reads;
/// with fewer rows, emitColumnMajorTiles with `streamUnitTile` and
/// `streamTile` (whose tiles load them themselves). Both take
/// `serialBelowRows`. One
/// panel on the stack (up to kMaxStackPanelBytes, else on the heap, once per
/// call); with `parallel`, one per thread of `threads`, allocated
/// once per call (an alloca in the OpenMP loop would keep its
/// memref.alloca_scope, which the lowering cannot), each thread taking a
/// contiguous share of the groups. With enabled `chunks` (the panel path
/// only), the panel holds one chunk of K ([chunks->size][panelCols]): `fill`
/// and `tile` take the chunk's steps (KChunks::bounds), the panel's row 0
/// being the chunk's first step.
void emitPanelTiles(mlir::OpBuilder &b, mlir::Location loc, mlir::Value numRows,
                    int64_t numUnits, int64_t unitTile, int64_t k,
                    int64_t panelCols, bool parallel, int64_t threads,
                    PanelFiller fill, PanelTileEmitter tile,
                    int64_t streamUnitTile, TileEmitter streamTile,
                    int64_t serialBelowRows = 0, KChunks *chunks = nullptr);

/// Emits a convolution tile: output pixels (n, oh, ow0 .. ow0 + pixels) x
/// column blocks [blk0, blk0 + blocks).
using ConvTileEmitter = llvm::function_ref<void(
    mlir::OpBuilder &, mlir::Value n, mlir::Value oh, mlir::Value ow0,
    int64_t pixels, mlir::Value blk0, int64_t blocks)>;

/// Accumulators of the convolution tile that takes the column blocks left
/// after the groups of kColTile, with 32 vector registers.
constexpr int64_t kConvRestAccumulators = 24;

/// The same for layers whose outputs each take few multiply instructions:
/// RGB-like first layers, C <= 4 channels (one vpdpbusd group per window
/// position in the int8 kernel; in the f32 kernel with two or three blocks
/// left). Longer tiles made these layers up to twice as slow (`qnt-bench
/// --convs`, one thread, 2-core Intel Xeon, 224x224 outputs, 3x3 windows,
/// ms; tiles of 24 / 12 / 8 accumulators):
///   int8 3 -> 16: 0.263 / 0.245 / 0.145 (oneDNN 0.176)
///   int8 3 -> 32: 0.417 / 0.263 / 0.251 (oneDNN 0.30)
///   f32 3 -> 32: 1.06 / 0.53 / 0.59 (oneDNN 0.57)
///   f32 3 -> 48: 1.33 / 0.80 / 0.79 (oneDNN 0.83)
/// while with one f32 block (3 -> 16) 24 stays the fastest (0.30 / 0.38 /
/// 0.41), and with C = 32 or 64 too (int8 32 -> 32: 0.31 / 0.36 / 0.45).
/// Not explained by a model of the ports; measured, not derived.
constexpr int64_t kConvFewChannelRestAccumulators = 8;
constexpr int64_t kConvFewChannelF32RestAccumulators = 12;

/// Column blocks per group tile of the int8 kernel on RGB-like first layers
/// (C <= 4): groups of 2 blocks x kRowTile pixels, 8 accumulators as in
/// their rest tiles, instead of 4 x 4. `qnt-bench --convs`, 2-core AMD EPYC
/// (Zen 5), one / two threads, ours / oneDNN u8s8s32, two interleaved runs:
///   3 -> 64 (226x226 input): 0.95-1.09 / 0.83-0.89 with groups of 4;
///                            1.31-1.35 / 1.13 with groups of 2
///   3 -> 128 (114x114):      0.93-0.96 / 0.93-1.00;  1.29-1.37 / 1.24-1.36
///   3 -> 64, groups of 3:    1.20 (one thread, one run)
/// As for the rest tiles above: measured, not derived. The f32 kernel keeps
/// groups of 4 (3 -> 64 with groups of 2: 0.47-0.54 ms against 0.42-0.44 at
/// two threads).
constexpr int64_t kConvFewChannelColTile = 2;

/// Pixels per tile of kColTile blocks when a static output width is not a
/// multiple of kRowTile and tiles of this many leave fewer tiles per row
/// (14: three tiles of 5, 4, instead of three of 4 and one of 2, which loads
/// every weight for half the pixels). With 32 vector registers only (5 x 4
/// accumulators). `qnt-bench --convs 1x14x14x256x256x3` (2-core Intel Xeon,
/// ours / oneDNN, one / two threads): int8 0.95 / 0.94 -> 1.02 / 1.00, f32
/// 0.77 / 0.82 -> 0.84 / 0.91; widths that 4 divides keep 4 (56: tiles of 5
/// measured 1.00 / 0.99 against 1.03 / 1.02).
constexpr int64_t kConvWideRowTile = 5;

/// The pixels of a convolution tile of kColTile blocks for a static output
/// width `staticWidth` (< 0: dynamic): kRowTile, or kConvWideRowTile as
/// above when `wideTiles`.
int64_t getConvRowTile(int64_t staticWidth, bool wideTiles);

/// The loop nest of the convolution kernels (int8 and f32): output rows
/// (n, oh) outermost (one scf.parallel over both when `parallel`: a
/// convolution's weights are small, its rows many); in each row the column
/// blocks in groups of `groupBlocks` (kColTile unless a kernel asks for
/// fewer; tiles of kRowTile pixels), then the 1-3
/// blocks left together, in tiles of max(kRowTile, restAccumulators /
/// blocks) pixels (getConvRowTile's for the groups), so that the layers with
/// 16, 24 or 48 filters have enough independent accumulators to cover the
/// multiply-add latency (with one block at a time and 4 pixels, 4 accumulators
/// left half the FMA or vpdpbusd throughput unused); after the tiles along the
/// width, one tile of the remaining pixels when the width is static
/// (`staticWidth` >= 0), else single pixels. The order of each output's sum
/// does not depend on the tiling.
void emitConvTiles(mlir::OpBuilder &b, mlir::Location loc,
                   mlir::Value numImages, mlir::Value numRows,
                   mlir::Value width, int64_t staticWidth, int64_t numBlocks,
                   bool parallel, ConvTileEmitter emitTile,
                   int64_t restAccumulators = kConvRestAccumulators,
                   bool wideTiles = true, int64_t groupBlocks = kColTile);

} // namespace quantopt

#endif // QUANTOPT_LIB_CODEGEN_KERNELLOOPS_H
