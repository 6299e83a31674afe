//===- KernelLoops.cpp - The loop nest shared by the matmul kernels -------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//

#include "KernelLoops.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "QuantOpt/Codegen/Passes.h"
#include "QuantOpt/Dialect/Qnt/IR/Qnt.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Interfaces/DestinationStyleOpInterface.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

using namespace mlir;
using namespace quantopt;

void quantopt::loadQntKernelDialects(MLIRContext &context) {
  context.loadDialect<arith::ArithDialect, memref::MemRefDialect,
                      qnt::QntDialect, qnt_x86::QntX86Dialect,
                      scf::SCFDialect, tensor::TensorDialect,
                      vector::VectorDialect>();
}

LogicalResult quantopt::applyKernelPatterns(Operation *root,
                                            RewritePatternSet &&patterns) {
  GreedyRewriteConfig config;
  config.enableFolding(false).enableConstantCSE(false).setRegionSimplificationLevel(
      GreedySimplifyRegionLevel::Disabled);
  return applyPatternsGreedily(root, std::move(patterns), config);
}

LogicalResult quantopt::checkLanes(Operation *root, StringRef pass,
                                  int64_t lanes) {
  if (lanes == 16 || lanes == 8)
    return success();
  return root->emitError() << pass << ": lanes must be 16 or 8, not "
                           << lanes;
}

LogicalResult quantopt::checkThreads(Operation *root, StringRef pass,
                                     int64_t threads) {
  if (threads >= 1)
    return success();
  return root->emitError() << pass << ": threads must be at least 1, not "
                           << threads;
}

KernelBuilder::KernelBuilder(OpBuilder &outer, Location loc)
    : outer(outer), loc(loc), block(new Block()), body(outer.getContext()) {
  // A detached block has no context of its own to build with.
  body.setInsertionPointToStart(block);
}

KernelBuilder::~KernelBuilder() { delete block; }

Value KernelBuilder::addInput(Value tensor, MemRefType type) {
  BlockArgument arg = block->insertArgument(inputs.size(), type, loc);
  inputs.push_back(tensor);
  return arg;
}

Value KernelBuilder::addOutput(Value tensor, MemRefType type) {
  outputs.push_back(tensor);
  return block->addArgument(type, loc);
}

Value KernelBuilder::addConstant(DenseElementsAttr value) {
  Value tensor = arith::ConstantOp::create(outer, loc, value);
  return addInput(tensor,
                  identity(cast<RankedTensorType>(value.getType())));
}

Value KernelBuilder::addStridedInput(Value tensor) {
  return addInput(tensor,
                  unitInnerStride(cast<RankedTensorType>(tensor.getType())));
}

Value KernelBuilder::addFreshOutput(RankedTensorType type,
                                    ValueRange dynamicSizes) {
  Value empty = tensor::EmptyOp::create(outer, loc, type.getShape(),
                                        type.getElementType(), dynamicSizes);
  return addOutput(empty, identity(type));
}

SmallVector<Value> KernelBuilder::finish() {
  SmallVector<Type> types;
  for (Value v : outputs)
    types.push_back(v.getType());
  auto op = qnt::KernelOp::create(outer, loc, types, inputs, outputs);
  op.getBody().push_back(block);
  block = nullptr;
  return SmallVector<Value>(op.getResults());
}

MemRefType KernelBuilder::identity(RankedTensorType type) {
  return MemRefType::get(type.getShape(), type.getElementType());
}

MemRefType KernelBuilder::unitInnerStride(RankedTensorType type) {
  SmallVector<int64_t> strides(type.getRank(), ShapedType::kDynamic);
  if (!strides.empty())
    strides.back() = 1;
  return MemRefType::get(
      type.getShape(), type.getElementType(),
      StridedLayoutAttr::get(type.getContext(), ShapedType::kDynamic, strides));
}

bool quantopt::hasParallelWork(ArrayRef<int64_t> shape) {
  int64_t total = 1;
  for (int64_t size : shape) {
    if (ShapedType::isDynamic(size))
      return true;
    total *= size;
  }
  return total >= kMinParallelElements;
}

Value quantopt::offsetIndex(OpBuilder &b, Location loc, Value base, int64_t d) {
  if (d == 0)
    return base;
  return arith::AddIOp::create(b, loc, base,
                               arith::ConstantIndexOp::create(b, loc, d));
}

Value quantopt::getDimSize(OpBuilder &b, Location loc, Value tensor,
                           int64_t d) {
  auto type = cast<RankedTensorType>(tensor.getType());
  if (!type.isDynamicDim(d))
    return arith::ConstantIndexOp::create(b, loc, type.getDimSize(d));
  Value source = tensor;
  while (auto dps = source.getDefiningOp<DestinationStyleOpInterface>()) {
    auto result = cast<OpResult>(source);
    if (result.getResultNumber() >= dps.getNumDpsInits())
      break;
    source = dps.getDpsInitOperand(result.getResultNumber())->get();
  }
  if (auto empty = source.getDefiningOp<tensor::EmptyOp>())
    return empty.getDynamicSize(d);
  return tensor::DimOp::create(b, loc, tensor, d);
}

SmallVector<Value>
quantopt::accumulateRows(OpBuilder &b, Location loc, Value a,
                         ArrayRef<SmallVector<Value>> aIndices,
                         ArrayRef<Value> weights, ValueRange accs) {
  SmallVector<Value> next;
  for (auto [r, idx] : llvm::enumerate(aIndices)) {
    Value av = memref::LoadOp::create(b, loc, a, idx);
    Value splat = vector::BroadcastOp::create(
        b, loc, cast<VectorType>(weights.front().getType()), av);
    for (auto [c, w] : llvm::enumerate(weights))
      next.push_back(vector::FMAOp::create(b, loc, splat, w,
                                           accs[r * weights.size() + c]));
  }
  return next;
}

void quantopt::emitPanelTiles(OpBuilder &b, Location loc, Value numRows,
                              int64_t numUnits, int64_t unitTile, int64_t k,
                              int64_t panelCols, bool parallel, int64_t threads,
                              PanelFiller fill, PanelTileEmitter tile,
                              int64_t streamUnitTile, TileEmitter streamTile,
                              int64_t serialBelowRows, KChunks *chunks) {
  MLIRContext *ctx = b.getContext();
  Type f32 = b.getF32Type();
  // The panel's rows: K, or one chunk of it.
  if (chunks && chunks->enabled())
    k = chunks->size;
  auto emitPanels = [&](OpBuilder &pb) {
    Value panel, panels;
    if (parallel)
      panels = memref::AllocOp::create(
          pb, loc, MemRefType::get({threads, k, panelCols}, f32),
          pb.getI64IntegerAttr(64));
    else if (k * panelCols * int64_t(sizeof(float)) > kMaxStackPanelBytes)
      panel =
          memref::AllocOp::create(pb, loc, MemRefType::get({k, panelCols}, f32),
                                  pb.getI64IntegerAttr(64));
    else
      panel = memref::AllocaOp::create(pb, loc,
                                       MemRefType::get({k, panelCols}, f32),
                                       pb.getI64IntegerAttr(64));
    // The scope fills the group's panel (the worker's own with threads),
    // then the rows' tiles, emitted inside it, read it.
    auto scope = [&](OpBuilder &cb, Value worker, Value unit0, int64_t units,
                     function_ref<void(OpBuilder &)> rows) {
      if (panels)
        panel = memref::SubViewOp::create(
            cb, loc,
            MemRefType::get({k, panelCols}, f32,
                            StridedLayoutAttr::get(ctx, ShapedType::kDynamic,
                                                   {panelCols, 1})),
            panels,
            ArrayRef<OpFoldResult>{worker, cb.getIndexAttr(0),
                                   cb.getIndexAttr(0)},
            ArrayRef<OpFoldResult>{cb.getIndexAttr(1), cb.getIndexAttr(k),
                                   cb.getIndexAttr(panelCols)},
            ArrayRef<OpFoldResult>{cb.getIndexAttr(1), cb.getIndexAttr(1),
                                   cb.getIndexAttr(1)});
      fill(cb, panel, unit0, units);
      rows(cb);
    };
    auto emitTile = [&](OpBuilder &tb, Value row0, int64_t rows, Value unit0,
                        int64_t units) {
      tile(tb, panel, row0, rows, unit0, units);
    };
    emitColumnMajorTiles(pb, loc, numRows, numUnits, unitTile, parallel,
                         emitTile, scope, parallel ? threads : 0,
                         serialBelowRows, chunks);
  };
  Value many =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sge, numRows,
                            arith::ConstantIndexOp::create(b, loc, kPanelRows));
  scf::IfOp::create(
      b, loc, many,
      [&](OpBuilder &tb, Location) {
        emitPanels(tb);
        scf::YieldOp::create(tb, loc);
      },
      [&](OpBuilder &eb, Location) {
        // Fewer than kPanelRows rows: when those are all below
        // serialBelowRows, no test is needed.
        bool shareFew = parallel && serialBelowRows < kPanelRows;
        emitColumnMajorTiles(eb, loc, numRows, numUnits, streamUnitTile,
                             shareFew, streamTile, nullptr, 0, serialBelowRows);
        scf::YieldOp::create(eb, loc);
      });
}

int64_t quantopt::getPanelUnits(int64_t k, int64_t unitCols, int64_t maxUnits,
                                bool parallel, int64_t threads) {
  if (parallel && threads < 2)
    return 0;
  auto bytes = [&](int64_t units) {
    return k * units * unitCols * int64_t(sizeof(float));
  };
  int64_t units = std::max<int64_t>(1, maxUnits);
  while (units > 1 && bytes(units) > kMaxPanelBytes)
    units /= 2;
  return bytes(units) <= kMaxPanelBytes ? units : 0;
}

int64_t quantopt::rowsForThreads(int64_t dotsPerRow, int64_t minDots,
                                 int64_t defaultDots) {
  if (minDots < 0)
    minDots = defaultDots;
  return llvm::divideCeil(minDots, std::max<int64_t>(dotsPerRow, 1));
}

KChunks quantopt::getKChunks(int64_t steps, int64_t groupStepBytes) {
  KChunks chunks;
  chunks.size = steps;
  int64_t bytes = steps * groupStepBytes;
  if (bytes <= kMaxUnchunkedBytes || steps < 2)
    return chunks;
  chunks.count = std::min<int64_t>(steps, llvm::divideCeil(bytes, kChunkBytes));
  chunks.size = llvm::divideCeil(steps, chunks.count);
  chunks.count = llvm::divideCeil(steps, chunks.size);
  return chunks;
}

void quantopt::allocateChunkPartials(OpBuilder &b, Location loc,
                                     KChunks &chunks, Value numRows,
                                     int64_t columns) {
  if (!chunks.enabled())
    return;
  chunks.partial = memref::AllocOp::create(
      b, loc, MemRefType::get({ShapedType::kDynamic, columns}, b.getF32Type()),
      ValueRange{numRows}, b.getI64IntegerAttr(64));
}

std::pair<Value, Value> KChunks::bounds(OpBuilder &b, Location loc,
                                        int64_t steps) const {
  auto cst = [&](int64_t v) {
    return arith::ConstantIndexOp::create(b, loc, v).getResult();
  };
  if (!enabled())
    return {cst(0), cst(steps)};
  Value begin = arith::MulIOp::create(b, loc, index, cst(size));
  Value end = arith::MinUIOp::create(
      b, loc, arith::AddIOp::create(b, loc, begin, cst(size)), cst(steps));
  return {begin, end};
}

SmallVector<Value>
KChunks::start(OpBuilder &b, Location loc, VectorType type,
               ArrayRef<SmallVector<Value, 2>> positions,
               function_ref<SmallVector<Value>(OpBuilder &)> first) const {
  if (!enabled())
    return first(b);
  Value isFirst =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, index,
                            arith::ConstantIndexOp::create(b, loc, 0));
  // Result types from the yields.
  auto ifOp = scf::IfOp::create(
      b, loc, isFirst,
      [&](OpBuilder &tb, Location) {
        scf::YieldOp::create(tb, loc, first(tb));
      },
      [&](OpBuilder &eb, Location) {
        SmallVector<Value> sums;
        for (const SmallVector<Value, 2> &at : positions)
          sums.push_back(vector::LoadOp::create(eb, loc, type, partial, at));
        scf::YieldOp::create(eb, loc, sums);
      });
  return SmallVector<Value>(ifOp.getResults());
}

void KChunks::finish(OpBuilder &b, Location loc, ValueRange accs,
                     ArrayRef<SmallVector<Value, 2>> positions,
                     function_ref<void(OpBuilder &, ValueRange)> last) const {
  if (!enabled()) {
    last(b, accs);
    return;
  }
  Value isLast =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, index,
                            arith::ConstantIndexOp::create(b, loc, count - 1));
  scf::IfOp::create(
      b, loc, isLast,
      [&](OpBuilder &tb, Location) {
        last(tb, accs);
        scf::YieldOp::create(tb, loc);
      },
      [&](OpBuilder &eb, Location) {
        for (auto [acc, at] : llvm::zip_equal(accs, positions))
          vector::StoreOp::create(eb, loc, acc, partial, at);
        scf::YieldOp::create(eb, loc);
      });
}

void quantopt::emitColumnMajorTiles(OpBuilder &b, Location loc, Value numRows,
                                    int64_t numUnits, int64_t unitTile,
                                    bool parallel, TileEmitter emitTile,
                                    ColumnScope scope, int64_t workers,
                                    int64_t serialBelowRows, KChunks *chunks) {
  auto cst = [&](OpBuilder &ob, int64_t v) {
    return arith::ConstantIndexOp::create(ob, loc, v).getResult();
  };
  // The row count when it is known now: a constant, or the static size of
  // a kernel's buffer (a memref.dim of a static dimension).
  auto staticRows = [&]() -> std::optional<int64_t> {
    if (std::optional<int64_t> rows = getConstantIntValue(numRows))
      return rows;
    auto dim = numRows.getDefiningOp<memref::DimOp>();
    std::optional<int64_t> index =
        dim ? dim.getConstantIndex() : std::optional<int64_t>();
    if (!index)
      return std::nullopt;
    auto type = cast<MemRefType>(dim.getSource().getType());
    if (type.isDynamicDim(*index))
      return std::nullopt;
    return type.getDimSize(*index);
  };
  if (parallel && serialBelowRows > 1) {
    if (std::optional<int64_t> rows = staticRows()) {
      parallel = *rows >= serialBelowRows;
    } else {
      Value few = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult,
                                        numRows, cst(b, serialBelowRows));
      scf::IfOp::create(
          b, loc, few,
          [&](OpBuilder &tb, Location) {
            emitColumnMajorTiles(tb, loc, numRows, numUnits, unitTile,
                                 /*parallel=*/false, emitTile, scope, workers,
                                 0, chunks);
            scf::YieldOp::create(tb, loc);
          },
          [&](OpBuilder &eb, Location) {
            emitColumnMajorTiles(eb, loc, numRows, numUnits, unitTile,
                                 /*parallel=*/true, emitTile, scope, workers, 0,
                                 chunks);
            scf::YieldOp::create(eb, loc);
          });
      return;
    }
  }
  Value c0 = cst(b, 0), c1 = cst(b, 1), cRows = cst(b, kRowTile);
  // `body` once per chunk of K (chunks->index set), or once.
  auto perChunk = [&](OpBuilder &ob, function_ref<void(OpBuilder &)> body) {
    if (!chunks || !chunks->enabled()) {
      body(ob);
      return;
    }
    scf::ForOp::create(ob, loc, c0, cst(ob, chunks->count), c1, ValueRange{},
                       [&](OpBuilder &kb, Location, Value chunk, ValueRange) {
                         Value saved = chunks->index;
                         chunks->index = chunk;
                         body(kb);
                         chunks->index = saved;
                         scf::YieldOp::create(kb, loc);
                       });
  };
  // Rows [first, last): tiles of kRowTile, then the rest one by one.
  auto rowRange = [&](OpBuilder &ob, Value unit0, int64_t units, Value first,
                      Value last) {
    Value count = arith::SubIOp::create(ob, loc, last, first);
    Value tilesEnd = arith::AddIOp::create(
        ob, loc, first,
        arith::MulIOp::create(
            ob, loc, arith::DivUIOp::create(ob, loc, count, cRows), cRows));
    scf::ForOp::create(ob, loc, first, tilesEnd, cRows, ValueRange{},
                       [&](OpBuilder &rb, Location, Value row0, ValueRange) {
                         emitTile(rb, row0, kRowTile, unit0, units);
                         scf::YieldOp::create(rb, loc);
                       });
    scf::ForOp::create(ob, loc, tilesEnd, last, c1, ValueRange{},
                       [&](OpBuilder &rb, Location, Value row, ValueRange) {
                         emitTile(rb, row, 1, unit0, units);
                         scf::YieldOp::create(rb, loc);
                       });
  };
  auto emitColumns = [&](OpBuilder &cb, Value unit0, int64_t units,
                         Value worker) {
    auto rows = [&](OpBuilder &ob) { rowRange(ob, unit0, units, c0, numRows); };
    perChunk(cb, [&](OpBuilder &kb) {
      if (scope)
        scope(kb, worker, unit0, units, rows);
      else
        rows(kb);
    });
  };
  // Without a column scope, threads share (column unit, row share) pairs:
  // one scf.parallel over both, which OpenMP hands out in contiguous runs,
  // so a thread keeps a group's weights while it walks its rows, and a
  // matrix with fewer column groups than threads (N = 192 is 3 groups)
  // still keeps every thread busy.
  // With chunks of K, a share reads each chunk from L3 once for all its
  // rows: larger shares read less (128 x 11008 x 1024 f32 at two threads:
  // 0.77x oneDNN with shares of 16 rows, 0.94x with 64, 1.04x with 256).
  int64_t rowsPerShare =
      chunks && chunks->enabled() ? kChunkedRowsPerShare : kRowsPerShare;
  Value rowShares;
  if (parallel && !scope)
    rowShares =
        arith::CeilDivUIOp::create(b, loc, numRows, cst(b, rowsPerShare));
  auto unitsByRowShares = [&](Value unitBegin, Value unitEnd, int64_t units) {
    scf::ParallelOp::create(
        b, loc, ValueRange{unitBegin, c0}, ValueRange{unitEnd, rowShares},
        ValueRange{cst(b, units), c1},
        [&](OpBuilder &bb, Location, ValueRange ivs) {
          Value first =
              arith::MulIOp::create(bb, loc, ivs[1], cst(bb, rowsPerShare));
          Value last = arith::MinUIOp::create(
              bb, loc,
              arith::AddIOp::create(bb, loc, first, cst(bb, rowsPerShare)),
              numRows);
          perChunk(bb, [&](OpBuilder &kb) {
            rowRange(kb, ivs[0], units, first, last);
          });
        });
  };
  int64_t groups = numUnits / unitTile;
  if (groups > 0) {
    Value groupEnd = cst(b, groups * unitTile), groupStep = cst(b, unitTile);
    if (parallel && workers > 0) {
      // Worker w takes groups [w * share, min((w + 1) * share, groups)).
      int64_t share = (groups + workers - 1) / workers;
      scf::ParallelOp::create(
          b, loc, ValueRange{c0}, ValueRange{cst(b, workers)},
          ValueRange{c1}, [&](OpBuilder &bb, Location, ValueRange ivs) {
            Value first = arith::MulIOp::create(
                bb, loc, ivs[0], cst(bb, share * unitTile));
            Value last = arith::MinSIOp::create(
                bb, loc,
                arith::AddIOp::create(bb, loc, first,
                                      cst(bb, share * unitTile)),
                groupEnd);
            scf::ForOp::create(
                bb, loc, first, last, groupStep, ValueRange{},
                [&](OpBuilder &gb, Location, Value unit0, ValueRange) {
                  emitColumns(gb, unit0, unitTile, ivs[0]);
                  scf::YieldOp::create(gb, loc);
                });
          });
    } else if (parallel && !scope) {
      unitsByRowShares(c0, groupEnd, unitTile);
    } else if (parallel) { // column groups across threads (scf.parallel ->
                           // OpenMP)
      scf::ParallelOp::create(
          b, loc, ValueRange{c0}, ValueRange{groupEnd}, ValueRange{groupStep},
          [&](OpBuilder &bb, Location, ValueRange ivs) {
            emitColumns(bb, ivs[0], unitTile, c0);
          });
    } else {
      scf::ForOp::create(b, loc, c0, groupEnd, groupStep, ValueRange{},
                         [&](OpBuilder &bb, Location, Value unit0, ValueRange) {
                           emitColumns(bb, unit0, unitTile, c0);
                           scf::YieldOp::create(bb, loc);
                         });
    }
  }
  if (parallel && !scope && numUnits > groups * unitTile) {
    unitsByRowShares(cst(b, groups * unitTile), cst(b, numUnits), 1);
    return;
  }
  for (int64_t unit = groups * unitTile; unit < numUnits; ++unit)
    emitColumns(b, cst(b, unit), 1, c0);
}

int64_t quantopt::getConvRowTile(int64_t staticWidth, bool wideTiles) {
  if (!wideTiles || staticWidth < 0 || staticWidth % kRowTile == 0)
    return kRowTile;
  return llvm::divideCeil(staticWidth, kConvWideRowTile) <
                 llvm::divideCeil(staticWidth, kRowTile)
             ? kConvWideRowTile
             : kRowTile;
}

void quantopt::emitConvTiles(OpBuilder &b, Location loc, Value numImages,
                             Value numRows, Value width, int64_t staticWidth,
                             int64_t numBlocks, bool parallel,
                             ConvTileEmitter emitTile, int64_t restAccumulators,
                             bool wideTiles, int64_t groupBlocks) {
  auto cst = [&](OpBuilder &ob, int64_t v) {
    return arith::ConstantIndexOp::create(ob, loc, v).getResult();
  };
  Value c0 = cst(b, 0), c1 = cst(b, 1);
  assert(groupBlocks >= 1 && groupBlocks <= kColTile &&
         "group of column blocks");
  int64_t groups = numBlocks / groupBlocks, rest = numBlocks % groupBlocks;
  int64_t restRows =
      rest ? std::max<int64_t>(kRowTile,
                               llvm::divideCeil(restAccumulators, rest))
           : kRowTile;
  auto emitRow = [&](OpBuilder &hb, Value n, Value oh) {
    auto emitColumns = [&](OpBuilder &cb, Value blk0, int64_t blocks) {
      // Groups of kColTile blocks take getConvRowTile's pixels, smaller
      // groups kRowTile.
      int64_t rowTile = blocks != groupBlocks ? restRows
                        : blocks == kColTile
                            ? getConvRowTile(staticWidth, wideTiles)
                            : kRowTile;
      Value tiles = arith::MulIOp::create(
          cb, loc, arith::DivUIOp::create(cb, loc, width, cst(cb, rowTile)),
          cst(cb, rowTile));
      if (staticWidth < 0 || staticWidth >= rowTile)
        scf::ForOp::create(cb, loc, c0, tiles, cst(cb, rowTile), ValueRange{},
                           [&](OpBuilder &rb, Location, Value ow0, ValueRange) {
                             emitTile(rb, n, oh, ow0, rowTile, blk0, blocks);
                             scf::YieldOp::create(rb, loc);
                           });
      // The rest of a static width in one tile (its weight loads shared
      // too); of a dynamic one, pixel by pixel.
      if (staticWidth >= 0) {
        if (int64_t tail = staticWidth % rowTile)
          emitTile(cb, n, oh, tiles, tail, blk0, blocks);
        return;
      }
      scf::ForOp::create(cb, loc, tiles, width, c1, ValueRange{},
                         [&](OpBuilder &rb, Location, Value ow, ValueRange) {
                           emitTile(rb, n, oh, ow, 1, blk0, blocks);
                           scf::YieldOp::create(rb, loc);
                         });
    };
    if (groups > 0)
      scf::ForOp::create(hb, loc, c0, cst(hb, groups * groupBlocks),
                         cst(hb, groupBlocks), ValueRange{},
                         [&](OpBuilder &gb, Location, Value blk0, ValueRange) {
                           emitColumns(gb, blk0, groupBlocks);
                           scf::YieldOp::create(gb, loc);
                         });
    if (rest)
      emitColumns(hb, cst(hb, groups * groupBlocks), rest);
  };
  if (parallel) {
    scf::ParallelOp::create(b, loc, ValueRange{c0, c0},
                            ValueRange{numImages, numRows}, ValueRange{c1, c1},
                            [&](OpBuilder &hb, Location, ValueRange ivs) {
                              emitRow(hb, ivs[0], ivs[1]);
                            });
    return;
  }
  scf::ForOp::create(
      b, loc, c0, numImages, c1, ValueRange{},
      [&](OpBuilder &nb, Location, Value n, ValueRange) {
        scf::ForOp::create(nb, loc, c0, numRows, c1, ValueRange{},
                           [&](OpBuilder &hb, Location, Value oh, ValueRange) {
                             emitRow(hb, n, oh);
                             scf::YieldOp::create(hb, loc);
                           });
        scf::YieldOp::create(nb, loc);
      });
}

void quantopt::getResultSizes(OpBuilder &b, Location loc, Value init,
                              RankedTensorType type,
                              MutableArrayRef<Value> dims,
                              SmallVectorImpl<Value> &dynamicSizes) {
  for (int64_t d = 0; d < type.getRank(); ++d) {
    dims[d] = getDimSize(b, loc, init, d);
    if (type.isDynamicDim(d))
      dynamicSizes.push_back(dims[d]);
  }
}
