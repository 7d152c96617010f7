// Tf32.hpp — whether f32 matrix products on CUDA devices may round their inputs to TF32.
//
// A process-wide setting (the --tf32 option of train, eval and bench step), free of CUDA headers
// so that the CLI can set it. Off by default: f32 throughout, results within 1e-5 of the CPU's.
// On, cuBLAS may run f32 GEMMs (convolutions included: im2col + GEMM) on the tensor cores with
// inputs rounded to TF32's 10-bit mantissa, about 1e-3 relative; f64 and the CPU are unaffected.
#pragma once

namespace cz {

/// Allows (true) or forbids (false) TF32 in the f32 GEMMs launched from now on.
void set_tf32(bool allowed);

/// The current setting (false until set_tf32(true)).
bool tf32();

}  // namespace cz
