//===- Amx.cpp - The OS side of AMX tiles ---------------------------------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//

#include "QuantOpt/Codegen/Amx.h"

#if defined(__linux__) && defined(__x86_64__)
#include <sys/syscall.h>
#include <unistd.h>
#endif

bool quantopt::requestAmxPermission() {
#if defined(__linux__) && defined(__x86_64__)
  // From the kernel's arch/x86/include/uapi/asm/prctl.h and fpu/xstate.h.
  constexpr long kArchReqXcompPerm = 0x1023, kXfeatureXtiledata = 18;
  return syscall(SYS_arch_prctl, kArchReqXcompPerm, kXfeatureXtiledata) == 0;
#else
  return false;
#endif
}
