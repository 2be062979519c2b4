/* Compiles the template header named by SIMD_TEMPLATE twice: for the
 * baseline ISA (names ending in _baseline) and, on x86, for AVX2 + FMA
 * (_avx2), with TARGET and SUFFIX set for it (see _simd.h); the includer
 * chooses between them once, at import. No include guard: each includer
 * instantiates its own template.
 */
#include "_simd.h"

#define TARGET
#define SUFFIX(name) name##_baseline
#include SIMD_TEMPLATE
#undef TARGET
#undef SUFFIX
#if SKLINEAR_X86
#define TARGET __attribute__((target("avx2,fma")))
#define SUFFIX(name) name##_avx2
#include SIMD_TEMPLATE
#undef TARGET
#undef SUFFIX
#endif
#undef SIMD_TEMPLATE
