/* One fused pass of a minibatch: scores, loss, and gradient, for one REAL.
 *
 * Included by _fused.c once per (REAL, instruction set); it expects REAL,
 * VEC (a 32-byte GCC vector of REAL), LANES, SUFFIX(name) and TARGET. See
 * _fused.c for why the pass is fused and how the work is blocked.
 */

/* The kernels below work on 4 rows and a block of 1 to 3 classes, with one
 * accumulator per (row, class) pair: 4 x 3 blocks keep 12 accumulators, the
 * 3 weight vectors and one row vector in the 16 vector registers, which
 * measured 30% faster than 4 x 2 blocks (two runs of micro-benchmarks). */

/* acc[r * n_classes + c] += x_r[k0:k1] * W_c[k0:k1], lane-wise, for the
 * classes c0 <= c < c0 + BLOCK. */
#define SCORES_BLOCK(BLOCK)                                                    \
    TARGET static void SUFFIX(scores_block##BLOCK)(                            \
        const REAL *const *x, const REAL *W, ptrdiff_t n_features,             \
        ptrdiff_t n_classes, ptrdiff_t c0, ptrdiff_t k0, ptrdiff_t k1,         \
        VEC *acc)                                                              \
    {                                                                          \
        const ptrdiff_t kv = k0 + (k1 - k0) / LANES * LANES;                   \
        const REAL *w[BLOCK];                                                  \
        VEC a[4][BLOCK];                                                       \
        for (int j = 0; j < BLOCK; j++) {                                      \
            w[j] = W + (c0 + j) * n_features;                                  \
            for (int r = 0; r < 4; r++)                                        \
                a[r][j] = acc[r * n_classes + c0 + j];                         \
        }                                                                      \
        for (ptrdiff_t k = k0; k < kv; k += LANES) {                           \
            VEC v[BLOCK];                                                      \
            for (int j = 0; j < BLOCK; j++)                                    \
                v[j] = LOAD(w[j] + k);                                         \
            for (int r = 0; r < 4; r++) {                                      \
                VEC u = LOAD(x[r] + k);                                        \
                for (int j = 0; j < BLOCK; j++)                                \
                    a[r][j] += u * v[j];                                       \
            }                                                                  \
        }                                                                      \
        for (ptrdiff_t k = kv; k < k1; k++)                                    \
            for (int r = 0; r < 4; r++)                                        \
                for (int j = 0; j < BLOCK; j++)                                \
                    a[r][j][0] += x[r][k] * w[j][k];                           \
        for (int j = 0; j < BLOCK; j++)                                        \
            for (int r = 0; r < 4; r++)                                        \
                acc[r * n_classes + c0 + j] = a[r][j];                         \
    }

/* G_c[k0:k1] += sum_r ds[r * n_classes + c] * x_r[k0:k1], for the classes
 * c0 <= c < c0 + BLOCK. */
#define GRADIENT_BLOCK(BLOCK)                                                  \
    TARGET static void SUFFIX(gradient_block##BLOCK)(                          \
        const REAL *const *x, const REAL *ds, ptrdiff_t n_features,            \
        ptrdiff_t n_classes, ptrdiff_t c0, ptrdiff_t k0, ptrdiff_t k1,         \
        REAL *G)                                                               \
    {                                                                          \
        const ptrdiff_t kv = k0 + (k1 - k0) / LANES * LANES;                   \
        REAL *g[BLOCK];                                                        \
        VEC d[4][BLOCK];                                                       \
        for (int j = 0; j < BLOCK; j++) {                                      \
            g[j] = G + (c0 + j) * n_features;                                  \
            for (int r = 0; r < 4; r++)                                        \
                d[r][j] = (VEC){0} + ds[r * n_classes + c0 + j];               \
        }                                                                      \
        for (ptrdiff_t k = k0; k < kv; k += LANES) {                           \
            VEC h[BLOCK];                                                      \
            for (int j = 0; j < BLOCK; j++)                                    \
                h[j] = LOAD(g[j] + k);                                         \
            for (int r = 0; r < 4; r++) {                                      \
                VEC u = LOAD(x[r] + k);                                        \
                for (int j = 0; j < BLOCK; j++)                                \
                    h[j] += d[r][j] * u;                                       \
            }                                                                  \
            for (int j = 0; j < BLOCK; j++)                                    \
                STORE(g[j] + k, h[j]);                                         \
        }                                                                      \
        for (ptrdiff_t k = kv; k < k1; k++)                                    \
            for (int j = 0; j < BLOCK; j++)                                    \
                for (int r = 0; r < 4; r++)                                    \
                    g[j][k] += d[r][j][0] * x[r][k];                           \
    }

SCORES_BLOCK(1)
SCORES_BLOCK(2)
SCORES_BLOCK(3)
GRADIENT_BLOCK(1)
GRADIENT_BLOCK(2)
GRADIENT_BLOCK(3)

/* Blocks of 3 classes, then 2 + 2 or 2 for the rest (a block of 1 only for
 * a single class: it has too few accumulators to keep the FMA units busy). */
static inline int SUFFIX(block_size)(ptrdiff_t remaining)
{
    return remaining == 4 || remaining == 2 ? 2 : remaining >= 3 ? 3 : 1;
}

/* KIND_tile: KIND's blocks over the classes c < n_used. */
#define OVER_CLASS_BLOCKS(KIND, INPUT_TYPE, OUTPUT_TYPE)                       \
    TARGET static void SUFFIX(KIND##_tile)(                                    \
        const REAL *const *x, INPUT_TYPE input, ptrdiff_t n_features,          \
        ptrdiff_t n_classes, ptrdiff_t n_used, ptrdiff_t k0, ptrdiff_t k1,     \
        OUTPUT_TYPE output)                                                    \
    {                                                                          \
        for (ptrdiff_t c = 0, block; c < n_used; c += block) {                 \
            block = SUFFIX(block_size)(n_used - c);                            \
            if (block == 3)                                                    \
                SUFFIX(KIND##_block3)(x, input, n_features, n_classes, c, k0,  \
                                      k1, output);                             \
            else if (block == 2)                                               \
                SUFFIX(KIND##_block2)(x, input, n_features, n_classes, c, k0,  \
                                      k1, output);                             \
            else                                                               \
                SUFFIX(KIND##_block1)(x, input, n_features, n_classes, c, k0,  \
                                      k1, output);                             \
        }                                                                      \
    }

OVER_CLASS_BLOCKS(scores, const REAL *, VEC *)
OVER_CLASS_BLOCKS(gradient, const REAL *, REAL *)

#undef SCORES_BLOCK
#undef GRADIENT_BLOCK
#undef OVER_CLASS_BLOCKS

/* The loss of one row from its scores s, which become its dscores. */
TARGET static double SUFFIX(loss_row)(
    REAL *s, ptrdiff_t n_classes, ptrdiff_t y, REAL factor, int loss_kind,
    REAL margin)
{
    if (loss_kind == SKLINEAR_HINGE) {
        const REAL correct = s[y];
        REAL total = 0, active = 0;
        for (ptrdiff_t c = 0; c < n_classes; c++) {
            REAL m = s[c] - correct + margin;
            int violated = c != y && m > 0;
            total += violated ? m : 0;
            active += violated;
            s[c] = violated ? factor : 0;
        }
        s[y] = 0 - factor * active; /* 0 - x: no -0.0 entries */
        return (double)factor * (double)total;
    }
    REAL top = s[0];
    for (ptrdiff_t c = 1; c < n_classes; c++)
        top = s[c] > top ? s[c] : top;
    REAL sum_exp = 0;
    const REAL correct = s[y] - top;
    for (ptrdiff_t c = 0; c < n_classes; c++) {
        /* Floored at the smallest normal number, as in losses._softmax. */
        REAL shifted = s[c] - top;
        s[c] = EXP(shifted > LOG_TINY ? shifted : LOG_TINY);
        sum_exp += s[c];
    }
    const REAL scale = factor / sum_exp;
    for (ptrdiff_t c = 0; c < n_classes; c++)
        s[c] *= scale;
    s[y] -= factor;
    return -(double)factor * (double)(correct - LOG(sum_exp));
}

/* Pointers to rows [first, first + 4), the ones past `last` repeated (their
 * dscores are zero, so they only pad the quad). */
static inline void SUFFIX(quad_rows)(
    const REAL **x, const REAL *X, ptrdiff_t row_stride, ptrdiff_t first,
    ptrdiff_t last)
{
    for (int r = 0; r < 4; r++) {
        ptrdiff_t row = first + r <= last ? first + r : last;
        x[r] = X + row * row_stride;
    }
}

/* Rows [begin, end) into one gradient G (zeroed here); returns their loss
 * and adds their dscores' column sums to grad_b. */
TARGET static double SUFFIX(rows_pass)(
    const REAL *X, ptrdiff_t row_stride, ptrdiff_t begin, ptrdiff_t end,
    ptrdiff_t n_features, const REAL *W, ptrdiff_t n_classes,
    const REAL *shift, const int64_t *y, ptrdiff_t y_stride,
    const REAL *factors, int loss_kind, REAL margin, REAL *G, REAL *grad_b,
    VEC *acc, REAL *ds)
{
    const ptrdiff_t C = n_classes, tile = K_TILE_BYTES / sizeof(REAL);
    double loss = 0;
    memset(G, 0, sizeof(REAL) * (size_t)(C * n_features));
    for (ptrdiff_t c = 0; c < C; c++)
        grad_b[c] = 0;
    for (ptrdiff_t g = begin; g < end; g += GROUP_ROWS) {
        const ptrdiff_t rows = end - g < GROUP_ROWS ? end - g : GROUP_ROWS;
        const ptrdiff_t quads = (rows + 3) / 4;
        const REAL *x[GROUP_ROWS];
        for (ptrdiff_t q = 0; q < quads; q++)
            SUFFIX(quad_rows)(x + 4 * q, X, row_stride, g + 4 * q, end - 1);
        for (ptrdiff_t i = 0; i < quads * 4 * C; i++)
            acc[i] = (VEC){0};
        for (ptrdiff_t k0 = 0; k0 < n_features; k0 += tile) {
            ptrdiff_t k1 = k0 + tile < n_features ? k0 + tile : n_features;
            for (ptrdiff_t q = 0; q < quads; q++)
                SUFFIX(scores_tile)(x + 4 * q, W, n_features, C, C, k0, k1,
                                    acc + 4 * q * C);
        }
        for (ptrdiff_t r = 0; r < quads * 4; r++) {
            REAL *s = ds + r * C;
            if (r >= rows) { /* padding */
                for (ptrdiff_t c = 0; c < C; c++)
                    s[c] = 0;
                continue;
            }
            for (ptrdiff_t c = 0; c < C; c++) {
                REAL total = 0;
                for (int lane = 0; lane < LANES; lane++)
                    total += acc[r * C + c][lane];
                s[c] = total + shift[c];
            }
            loss += SUFFIX(loss_row)(s, C, (ptrdiff_t)y[(g + r) * y_stride],
                                     factors[g + r], loss_kind, margin);
            for (ptrdiff_t c = 0; c < C; c++)
                grad_b[c] += s[c];
        }
        for (ptrdiff_t k0 = 0; k0 < n_features; k0 += tile) {
            ptrdiff_t k1 = k0 + tile < n_features ? k0 + tile : n_features;
            for (ptrdiff_t q = 0; q < quads; q++)
                SUFFIX(gradient_tile)(x + 4 * q, ds + 4 * q * C, n_features, C,
                                      GRADIENT_ROWS(C), k0, k1, G);
        }
    }
    return loss;
}

/* The whole batch, its rows split into one contiguous range per thread:
 * thread t > 0 accumulates into work[t - 1] (n_classes * (n_features + 1)
 * REALs), and the partial sums are added in thread order, so the result
 * depends on the number of threads but not on their timing. */
struct SUFFIX(task) {
    const REAL *X, *W, *shift, *factors;
    const int64_t *y;
    ptrdiff_t row_stride, begin, end, n_features, n_classes, y_stride;
    int loss_kind;
    REAL margin, *G, *grad_b;
    double loss;
};

TARGET static void *SUFFIX(run_task)(void *argument)
{
    struct SUFFIX(task) *task = argument;
    const ptrdiff_t C = task->n_classes;
    VEC acc[GROUP_ROWS * C];
    REAL ds[GROUP_ROWS * C];
    task->loss = SUFFIX(rows_pass)(
        task->X, task->row_stride, task->begin, task->end, task->n_features,
        task->W, C, task->shift, task->y, task->y_stride, task->factors,
        task->loss_kind, task->margin, task->G, task->grad_b, acc, ds);
    return NULL;
}

TARGET static double SUFFIX(loss_gradient)(
    const REAL *X, ptrdiff_t row_stride, ptrdiff_t n_rows, ptrdiff_t n_features,
    const REAL *W, ptrdiff_t n_classes, const REAL *shift, const int64_t *y,
    ptrdiff_t y_stride, const REAL *factors, int loss_kind, double margin,
    REAL *grad_W, REAL *grad_b, REAL *work, int n_threads)
{
    const ptrdiff_t C = n_classes, size = C * n_features;
    const ptrdiff_t quads = (n_rows + 3) / 4;
    struct SUFFIX(task) tasks[SKLINEAR_MAX_THREADS];
    pthread_t threads[SKLINEAR_MAX_THREADS];
    int started[SKLINEAR_MAX_THREADS];
    n_threads = n_threads < 1 ? 1 : n_threads;
    n_threads = n_threads > SKLINEAR_MAX_THREADS ? SKLINEAR_MAX_THREADS : n_threads;
    for (int t = 0; t < n_threads; t++) {
        struct SUFFIX(task) *task = &tasks[t];
        ptrdiff_t end = quads * (t + 1) / n_threads * 4;
        task->X = X; task->W = W; task->shift = shift; task->factors = factors;
        task->y = y; task->row_stride = row_stride; task->y_stride = y_stride;
        task->begin = quads * t / n_threads * 4;
        task->end = end < n_rows ? end : n_rows;
        task->n_features = n_features; task->n_classes = C;
        task->loss_kind = loss_kind; task->margin = (REAL)margin;
        task->G = t == 0 ? grad_W : work + (size_t)(t - 1) * (size + C);
        task->grad_b = t == 0 ? grad_b : task->G + size;
    }
    /* Fresh threads on every call: nothing outlives it, so a fork() between
     * calls is safe (unlike a persistent OpenMP pool, which hangs children). */
    for (int t = 1; t < n_threads; t++)
        started[t] = pthread_create(&threads[t], NULL, SUFFIX(run_task),
                                    &tasks[t]) == 0;
    SUFFIX(run_task)(&tasks[0]);
    for (int t = 1; t < n_threads; t++) {
        if (started[t])
            pthread_join(threads[t], NULL);
        else /* no thread to be had: do its share here */
            SUFFIX(run_task)(&tasks[t]);
    }
    double loss = tasks[0].loss;
    const ptrdiff_t computed = GRADIENT_ROWS(C) * n_features;
    for (int t = 1; t < n_threads; t++) {
        const REAL *G = tasks[t].G;
        loss += tasks[t].loss;
        for (ptrdiff_t i = 0; i < computed; i++)
            grad_W[i] += G[i];
        for (ptrdiff_t c = 0; c < C; c++)
            grad_b[c] += tasks[t].grad_b[c];
    }
    if (C > 1) { /* the last row: minus the sum of the others */
        REAL *last = grad_W + (C - 1) * n_features;
        for (ptrdiff_t k = 0; k < n_features; k++)
            last[k] = 0;
        for (ptrdiff_t c = 0; c < C - 1; c++)
            for (ptrdiff_t k = 0; k < n_features; k++)
                last[k] -= grad_W[c * n_features + k];
    }
    return loss;
}
