//===- NumericsInternal.h - Shared by the numerics library's files -------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTOPT_LIB_NUMERICS_NUMERICSINTERNAL_H
#define QUANTOPT_LIB_NUMERICS_NUMERICSINTERNAL_H

#include "QuantOpt/Numerics/Numerics.h"

namespace quantopt::numerics::detail {

/// `2^ceil(log2 s)`, exactly.
float roundUpToPowerOfTwo(float s);

/// The parameters of the finite float32 range [rmin, rmax] by the formulas
/// of `options.profile` (not QuantOpt's own; Profiles.cpp), for integer
/// storage with the symmetric or asymmetric scheme.
llvm::Expected<QuantParams> solveWithProfile(float rmin, float rmax,
                                             const SolverOptions &options);

} // namespace quantopt::numerics::detail

#endif // QUANTOPT_LIB_NUMERICS_NUMERICSINTERNAL_H
