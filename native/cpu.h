/*
 * Which instruction sets this CPU and operating system support, and which kernel tables this
 * addon was built with: the run-time choice of native/kernels.inc's code paths.
 */
#pragma once
#include <string>
#include <vector>

#include "kernels.h"

namespace charlab {

/** The ISAs both built into this addon and usable here, fastest first (e.g. avx512, avx2, sse2). */
std::vector<const KernelTable*> usable_tables();
/** The table named `isa` if usable here, else null. */
const KernelTable* table_named(const std::string& isa);
/**
 * The table a new context asks for: `isa` ("" = the best usable here). Null where none is usable, with
 * `error` saying so and naming the usable ones.
 */
const KernelTable* table_for(const std::string& isa, std::string& error);
/** Every ISA name the addon knows of, built or not (for messages). */
std::vector<std::string> known_isas();
/** A one-line description of the CPU's relevant features (e.g. "avx512f avx2 fma"). */
std::string cpu_features();

}  // namespace charlab
