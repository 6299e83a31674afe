//===- Amx.h - The OS side of AMX tiles -------------------------*- C++ -*-===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTOPT_CODEGEN_AMX_H
#define QUANTOPT_CODEGEN_AMX_H

namespace quantopt {

/// Asks Linux for this process's AMX tile state (arch_prctl
/// ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA), which code using AMX tiles needs
/// before it runs (without it, the first tile instruction faults). True when
/// granted (also when granted before); false elsewhere.
bool requestAmxPermission();

} // namespace quantopt

#endif // QUANTOPT_CODEGEN_AMX_H
