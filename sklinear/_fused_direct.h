/* The scores of a quad of rows where one feature tile holds every feature
 * (K_TILE_BYTES: 2,048 float64 or 4,096 float32 features, nearly every
 * dense data set): the accumulators start at zero and stay in registers, and
 * each (row, class) sum goes straight to ds, where SCORES_BLOCK's loads and
 * stores its accumulators around every tile and group_scores sums their lanes
 * in memory. On digits (1,797 x 64, 10 classes, float64) the pass took
 * 0.80x its time with the tiled scores (165 against 205 us, the best of
 * three alternated runs).
 *
 * Included by _fused_impl.h once per (REAL, instruction set). Every loop over
 * rows, classes or lanes is unrolled before GCC's scalar replacement, which
 * then keeps the accumulators in registers (rolled, they lived in a stack
 * array zeroed by `rep stos` and copied around the loop). */

#define SKLINEAR_UNROLLED _Pragma("GCC unroll 8")

#if defined(__has_builtin)
#if __has_builtin(__builtin_shufflevector)
#define SKLINEAR_SHUFFLE4(a, b, i, j, k, l) __builtin_shufflevector(a, b, i, j, k, l)
#endif
#endif
#ifndef SKLINEAR_SHUFFLE4
#define SKLINEAR_SHUFFLE4(a, b, i, j, k, l) __builtin_shuffle(a, b, (VECI){i, j, k, l})
#endif

/* ds[r * stride] = (lane sum of v_r) + shift for the rows r < rows of the
 * quad, 0 for the padding rows: each lane sum from 0 in lane order, as
 * group_scores adds them. */
#if LANES == 4
TARGET static inline void SUFFIX(quad_totals)(VEC v0, VEC v1, VEC v2, VEC v3,
                                              REAL shift, ptrdiff_t rows,
                                              REAL *ds, ptrdiff_t stride)
{
    /* Transposed (lane l of the four rows in vector l), four sums take
     * three vector additions in the same order. */
    const VEC t0 = SKLINEAR_SHUFFLE4(v0, v1, 0, 4, 2, 6);
    const VEC t1 = SKLINEAR_SHUFFLE4(v0, v1, 1, 5, 3, 7);
    const VEC t2 = SKLINEAR_SHUFFLE4(v2, v3, 0, 4, 2, 6);
    const VEC t3 = SKLINEAR_SHUFFLE4(v2, v3, 1, 5, 3, 7);
    VEC totals = (VEC){0} + SKLINEAR_SHUFFLE4(t0, t2, 0, 1, 4, 5);
    totals += SKLINEAR_SHUFFLE4(t1, t3, 0, 1, 4, 5);
    totals += SKLINEAR_SHUFFLE4(t0, t2, 2, 3, 6, 7);
    totals += SKLINEAR_SHUFFLE4(t1, t3, 2, 3, 6, 7);
    SKLINEAR_UNROLLED for (int r = 0; r < 4; r++)
        ds[r * stride] = r < rows ? totals[r] + shift : 0;
}
#else
TARGET static inline void SUFFIX(quad_totals)(VEC v0, VEC v1, VEC v2, VEC v3,
                                              REAL shift, ptrdiff_t rows,
                                              REAL *ds, ptrdiff_t stride)
{
    const VEC v[4] = {v0, v1, v2, v3};
    SKLINEAR_UNROLLED for (int r = 0; r < 4; r++) {
        REAL total = 0;
        SKLINEAR_UNROLLED for (int lane = 0; lane < LANES; lane++)
            total += v[r][lane];
        ds[r * stride] = r < rows ? total + shift : 0;
    }
}
#endif

/* ds[r * n_classes + c] = x_r . W_c + shift[c] for the classes c0 <= c <
 * c0 + BLOCK of the quad's rows r < rows, 0 for its padding rows. The
 * features past the last whole vector go to lane 0 (the other lanes of
 * their vectors are zero), one fused multiply-add each where the CPU has
 * them. KEEP_IN_REGISTER(u): GCC would otherwise read each row vector once
 * per class, as a memory operand of the multiply-add, and the loop would
 * wait on loads rather than on multiply-adds. */
#define SCORES_DIRECT(BLOCK)                                                   \
    TARGET static void SUFFIX(scores_direct##BLOCK)(                           \
        const REAL *const *x, const REAL *W, ptrdiff_t stride,                 \
        ptrdiff_t n_classes, ptrdiff_t c0, ptrdiff_t n_features,               \
        const REAL *shift, ptrdiff_t rows, REAL *ds)                           \
    {                                                                          \
        const ptrdiff_t kv = n_features / LANES * LANES;                       \
        const REAL *w[BLOCK];                                                  \
        VEC a[4][BLOCK];                                                       \
        SKLINEAR_UNROLLED for (int j = 0; j < BLOCK; j++) {                    \
            w[j] = W + (c0 + j) * stride;                                      \
            SKLINEAR_UNROLLED for (int r = 0; r < 4; r++)                      \
                a[r][j] = (VEC){0};                                            \
        }                                                                      \
        for (ptrdiff_t k = 0; k < kv; k += LANES) {                            \
            VEC v[BLOCK];                                                      \
            SKLINEAR_UNROLLED for (int j = 0; j < BLOCK; j++)                  \
                v[j] = LOAD(w[j] + k);                                         \
            SKLINEAR_UNROLLED for (int r = 0; r < 4; r++) {                    \
                VEC u = LOAD(x[r] + k);                                        \
                KEEP_IN_REGISTER(u);                                           \
                SKLINEAR_UNROLLED for (int j = 0; j < BLOCK; j++)              \
                    a[r][j] += u * v[j];                                       \
            }                                                                  \
        }                                                                      \
        for (ptrdiff_t k = kv; k < n_features; k++) {                          \
            VEC v[BLOCK];                                                      \
            SKLINEAR_UNROLLED for (int j = 0; j < BLOCK; j++)                  \
                v[j] = (VEC){w[j][k]};                                         \
            SKLINEAR_UNROLLED for (int r = 0; r < 4; r++) {                    \
                const VEC u = {x[r][k]};                                       \
                SKLINEAR_UNROLLED for (int j = 0; j < BLOCK; j++)              \
                    a[r][j] += u * v[j];                                       \
            }                                                                  \
        }                                                                      \
        SKLINEAR_UNROLLED for (int j = 0; j < BLOCK; j++)                      \
            SUFFIX(quad_totals)(a[0][j], a[1][j], a[2][j], a[3][j],            \
                                shift[c0 + j], rows, ds + c0 + j, n_classes);  \
    }

SCORES_DIRECT(1)
SCORES_DIRECT(2)
SCORES_DIRECT(3)

/* The quad's scores for every class, in SCORES_BLOCK's class blocks. */
TARGET static void SUFFIX(scores_direct)(
    const REAL *const *x, const REAL *W, ptrdiff_t stride,
    ptrdiff_t n_classes, ptrdiff_t n_features, const REAL *shift,
    ptrdiff_t rows, REAL *ds)
{
    for (ptrdiff_t c = 0, block; c < n_classes; c += block) {
        block = SUFFIX(block_size)(n_classes - c);
        if (block == 3)
            SUFFIX(scores_direct3)(x, W, stride, n_classes, c, n_features,
                                   shift, rows, ds);
        else if (block == 2)
            SUFFIX(scores_direct2)(x, W, stride, n_classes, c, n_features,
                                   shift, rows, ds);
        else
            SUFFIX(scores_direct1)(x, W, stride, n_classes, c, n_features,
                                   shift, rows, ds);
    }
}

#undef SCORES_DIRECT
#undef SKLINEAR_UNROLLED
#undef SKLINEAR_SHUFFLE4
