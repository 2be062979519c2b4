/* A fused minibatch pass for sklinear's linear classifiers.
 *
 * One SGD step needs the scores S = X_b W^T, the loss and dS, and the
 * gradient dS^T X_b. As two BLAS products this reads the batch X_b from
 * memory twice and packs it twice, and with a handful of classes the products
 * are too skinny for BLAS to reach its peak rate. Here each group of 8 rows
 * is read from memory once: its scores, then its loss and dscores, then its
 * gradient, while the rows are still in cache. Rows longer than 16 KB are
 * taken in tiles of that size, so that the group's tiles stay in L2 cache
 * next to the matching part of W. Threads (POSIX) take contiguous ranges of
 * rows, each with its own gradient, summed in a fixed order so that results
 * are reproducible for a given number of threads.
 *
 * The kernels use GCC vector extensions: 32-byte vectors, compiled for
 * AVX2 + FMA where the CPU has them and for the baseline otherwise. The
 * functions are called through ctypes (sklinear/_fused_pass.py); the module
 * object itself only locates the shared library.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <pthread.h>

#define SKLINEAR_HINGE 0
#define SKLINEAR_SOFTMAX 1
#define SKLINEAR_MAX_THREADS 256
#define SKLINEAR_MAX_CLASSES 64
#define GROUP_ROWS 8
#define K_TILE_BYTES 16384
/* Every row of dscores sums to zero over the classes (both losses depend only
 * on differences of scores), so the gradient's last row is minus the sum of
 * the others: the pass computes C - 1 rows (for C = 10 that is 3 + 3 + 3
 * classes, all in the fastest blocks). */
#define GRADIENT_ROWS(C) ((C) > 1 ? (C) - 1 : (C))

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#define SKLINEAR_X86 1
#else
#define SKLINEAR_X86 0
#endif

typedef float vf32 __attribute__((vector_size(32)));
typedef float vf32u __attribute__((vector_size(32), aligned(4), may_alias));
typedef double vf64 __attribute__((vector_size(32)));
typedef double vf64u __attribute__((vector_size(32), aligned(8), may_alias));

/* float32, baseline instruction set */
#define REAL float
#define VEC vf32
#define LANES 8
#define LOAD(p) (*(const vf32u *)(p))
#define STORE(p, v) (*(vf32u *)(p) = (v))
#define EXP expf
#define LOG logf
#define LOG_TINY (-87.33654475f) /* log of FLT_MIN */
#define TARGET
#define SUFFIX(name) name##_f32
#include "_fused_impl.h"
#if SKLINEAR_X86
#undef TARGET
#undef SUFFIX
#define TARGET __attribute__((target("avx2,fma")))
#define SUFFIX(name) name##_f32_avx2
#include "_fused_impl.h"
#endif
#undef REAL
#undef VEC
#undef LANES
#undef LOAD
#undef STORE
#undef EXP
#undef LOG
#undef LOG_TINY
#undef TARGET
#undef SUFFIX

/* float64 */
#define REAL double
#define VEC vf64
#define LANES 4
#define LOAD(p) (*(const vf64u *)(p))
#define STORE(p, v) (*(vf64u *)(p) = (v))
#define EXP exp
#define LOG log
#define LOG_TINY (-708.3964185322641) /* log of DBL_MIN */
#define TARGET
#define SUFFIX(name) name##_f64
#include "_fused_impl.h"
#if SKLINEAR_X86
#undef TARGET
#undef SUFFIX
#define TARGET __attribute__((target("avx2,fma")))
#define SUFFIX(name) name##_f64_avx2
#include "_fused_impl.h"
#endif

static int has_avx2_fma(void)
{
#if SKLINEAR_X86
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return 0;
#endif
}

int sklinear_max_classes(void) { return SKLINEAR_MAX_CLASSES; }

#define EXPORT(SUFFIX_NAME, REAL)                                              \
    double sklinear_loss_gradient_##SUFFIX_NAME(                               \
        const REAL *X, ptrdiff_t row_stride, ptrdiff_t n_rows,                 \
        ptrdiff_t n_features, const REAL *W, ptrdiff_t n_classes,              \
        const REAL *shift, const int64_t *y, ptrdiff_t y_stride,               \
        const REAL *factors, int loss_kind, double margin, REAL *grad_W,       \
        REAL *grad_b, REAL *work, int n_threads)                               \
    {                                                                          \
        if (SKLINEAR_X86 && has_avx2_fma())                                    \
            return AVX2_CALL(SUFFIX_NAME);                                     \
        return loss_gradient_##SUFFIX_NAME(                                    \
            X, row_stride, n_rows, n_features, W, n_classes, shift, y,         \
            y_stride, factors, loss_kind, margin, grad_W, grad_b, work,        \
            n_threads);                                                        \
    }

#if SKLINEAR_X86
#define AVX2_CALL(SUFFIX_NAME)                                                 \
    loss_gradient_##SUFFIX_NAME##_avx2(                                        \
        X, row_stride, n_rows, n_features, W, n_classes, shift, y, y_stride,   \
        factors, loss_kind, margin, grad_W, grad_b, work, n_threads)
#else
#define AVX2_CALL(SUFFIX_NAME) 0.0
#endif

EXPORT(f32, float)
EXPORT(f64, double)

static struct PyModuleDef fused_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "_fused",
    .m_doc = "Fused minibatch loss and gradient kernels (called through ctypes).",
    .m_size = -1,
};

PyMODINIT_FUNC PyInit__fused(void) { return PyModule_Create(&fused_module); }
