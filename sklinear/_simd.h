/* What the compiled code's vector kernels share: the x86 switch, the CPU
 * check (_fused.c's too) and unaligned four-lane double vectors of GCC's
 * vector extensions. The sweeps' kernels (_simd_kernels.h, for
 * _dual_sweep.c and _saga_sweep_impl.h) are compiled twice, for the
 * baseline ISA and for AVX2 + FMA, and chosen once at import.
 */
#ifndef SKLINEAR_SIMD_H
#define SKLINEAR_SIMD_H

#include <stdlib.h>

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#define SKLINEAR_X86 1
#else
#define SKLINEAR_X86 0
#endif

typedef double vf64 __attribute__((vector_size(32)));
/* Integer lanes of 32-byte vectors: _vexp.h's exponent bits. */
typedef int vi32 __attribute__((vector_size(32)));
typedef long long vi64 __attribute__((vector_size(32)));
typedef double vf64u __attribute__((vector_size(32), aligned(8), may_alias));
#define LOAD(p) (*(const vf64u *)(p))
#define STORE(p, v) (*(vf64u *)(p) = (v))

/* Whether the CPU has AVX2 and FMA (the fused pass's choice too). */
static inline int cpu_has_avx2_fma(void)
{
#if SKLINEAR_X86
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return 0;
#endif
}

/* Whether the sweeps' AVX2 + FMA kernels run: on a CPU that has them, unless
 * the environment variable SKLINEAR_BASELINE_ISA is set (non-empty) at
 * import, which tests use to run the baseline kernels on any machine. */
static inline int simd_avx2(void)
{
    const char *baseline = getenv("SKLINEAR_BASELINE_ISA");
    if (baseline != NULL && baseline[0] != '\0')
        return 0;
    return cpu_has_avx2_fma();
}

#endif
