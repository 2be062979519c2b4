/* One fused pass of a minibatch: scores, loss, and gradient, for one REAL.
 *
 * Included by _fused.c once per (REAL, instruction set); it expects REAL,
 * VEC (a 32-byte GCC vector of REAL), LANES, SUFFIX(name) and TARGET. See
 * _fused.c for why the pass is fused and how the work is blocked.
 */

/* The kernels below work on 4 rows and a block of 1 to 3 classes, with one
 * accumulator per (row, class) pair: 4 x 3 blocks keep 12 accumulators, the
 * 3 weight vectors and one row vector in the 16 vector registers: the
 * largest block that fits them, so each weight load serves 4 rows. */

/* acc[r * n_classes + c] += x_r[k0:k1] * W_c[k0:k1], lane-wise, for the
 * classes c0 <= c < c0 + BLOCK; row c of W starts at W + c * stride. */
#define SCORES_BLOCK(BLOCK)                                                    \
    TARGET static void SUFFIX(scores_block##BLOCK)(                            \
        const REAL *const *x, const REAL *W, ptrdiff_t stride,                 \
        ptrdiff_t n_classes, ptrdiff_t c0, ptrdiff_t k0, ptrdiff_t k1,         \
        VEC *acc)                                                              \
    {                                                                          \
        const ptrdiff_t kv = k0 + (k1 - k0) / LANES * LANES;                   \
        const REAL *w[BLOCK];                                                  \
        VEC a[4][BLOCK];                                                       \
        for (int j = 0; j < BLOCK; j++) {                                      \
            w[j] = W + (c0 + j) * stride;                                      \
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
 * c0 <= c < c0 + BLOCK; row c of G starts at G + c * stride. */
#define GRADIENT_BLOCK(BLOCK)                                                  \
    TARGET static void SUFFIX(gradient_block##BLOCK)(                          \
        const REAL *const *x, const REAL *ds, ptrdiff_t stride,                \
        ptrdiff_t n_classes, ptrdiff_t c0, ptrdiff_t k0, ptrdiff_t k1,         \
        REAL *G)                                                               \
    {                                                                          \
        const ptrdiff_t kv = k0 + (k1 - k0) / LANES * LANES;                   \
        REAL *g[BLOCK];                                                        \
        VEC d[4][BLOCK];                                                       \
        for (int j = 0; j < BLOCK; j++) {                                      \
            g[j] = G + (c0 + j) * stride;                                      \
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
        const REAL *const *x, INPUT_TYPE input, ptrdiff_t stride,              \
        ptrdiff_t n_classes, ptrdiff_t n_used, ptrdiff_t k0, ptrdiff_t k1,     \
        OUTPUT_TYPE output)                                                    \
    {                                                                          \
        for (ptrdiff_t c = 0, block; c < n_used; c += block) {                 \
            block = SUFFIX(block_size)(n_used - c);                            \
            if (block == 3)                                                    \
                SUFFIX(KIND##_block3)(x, input, stride, n_classes, c, k0,      \
                                      k1, output);                             \
            else if (block == 2)                                               \
                SUFFIX(KIND##_block2)(x, input, stride, n_classes, c, k0,      \
                                      k1, output);                             \
            else                                                               \
                SUFFIX(KIND##_block1)(x, input, stride, n_classes, c, k0,      \
                                      k1, output);                             \
        }                                                                      \
    }

OVER_CLASS_BLOCKS(scores, const REAL *, VEC *)
OVER_CLASS_BLOCKS(gradient, const REAL *, REAL *)

#undef SCORES_BLOCK
#undef GRADIENT_BLOCK
#undef OVER_CLASS_BLOCKS

#include "_vexp.h"
#include "_fused_direct.h"

/* Softmax: each row's scores minus their largest (the label's kept in
 * correct[r]) and floored at the smallest normal number's log, as in
 * losses._softmax, then their exp, the whole group's at once: vexp's
 * polynomial is a chain of dependent steps, and many independent vectors
 * keep the pipelines full (one row's few vectors left them idle: no faster
 * than libm's scalar calls). A NaN score makes its row's entries NaN (a
 * comparison with NaN is false, so the tests let NaN through). */
TARGET static void SUFFIX(group_exp)(const struct batch *b, REAL *ds,
                                     ptrdiff_t first_row, ptrdiff_t rows,
                                     REAL *correct)
{
    const ptrdiff_t C = b->n_classes;
    for (ptrdiff_t r = 0; r < rows; r++) {
        REAL *s = ds + r * C;
        REAL top = s[0];
        for (ptrdiff_t c = 1; c < C; c++)
            top = s[c] > top ? s[c] : top;
        correct[r] = s[b->y[first_row + r]] - top;
        for (ptrdiff_t c = 0; c < C; c++) {
            REAL shifted = s[c] - top;
            s[c] = shifted < LOG_TINY ? LOG_TINY : shifted;
        }
    }
    SUFFIX(exp_in_place)(ds, rows * C);
}

/* The loss of one row, whose scores s become its dscores: for the softmax s
 * holds group_exp's exponentials and `correct` its label's shifted score. A
 * NaN score makes the loss NaN (the tests let NaN through). */
TARGET static double SUFFIX(loss_row)(
    REAL *s, ptrdiff_t n_classes, ptrdiff_t y, REAL factor, int loss_kind,
    REAL margin, REAL correct)
{
    if (loss_kind == SKLINEAR_HINGE) {
        correct = s[y];
        REAL total = 0, active = 0;
        for (ptrdiff_t c = 0; c < n_classes; c++) {
            /* For c == y, m is margin, or NaN when s[y] is not finite. */
            REAL m = s[c] - correct + margin;
            int violated = c != y && m > 0;
            total += violated || m != m ? m : 0;
            active += violated;
            s[c] = violated ? factor : 0;
        }
        s[y] = 0 - factor * active; /* 0 - x: no -0.0 entries */
        return (double)factor * (double)total;
    }
    REAL sum_exp = 0;
    for (ptrdiff_t c = 0; c < n_classes; c++)
        sum_exp += s[c];
    const REAL scale = factor / sum_exp;
    for (ptrdiff_t c = 0; c < n_classes; c++)
        s[c] *= scale;
    s[y] -= factor;
    return -(double)factor * (double)(correct - LOG(sum_exp));
}

/* Row `row`'s loss from its scores s (after group_exp for the softmax,
 * `correct` from it), which become what the gradient sums: its dscores, or
 * with SAGA's memory m the dscores minus m (the dscores then replace m). */
TARGET static double SUFFIX(row_result)(const struct batch *b, REAL *s,
                                        ptrdiff_t row, REAL correct)
{
    const ptrdiff_t C = b->n_classes;
    const double loss = SUFFIX(loss_row)(s, C, b->y[row],
                                         ((const REAL *)b->factors)[row],
                                         b->loss_kind, (REAL)b->margin,
                                         correct);
    if (b->memory != NULL) {
        REAL *m = (REAL *)b->memory + row * C;
        for (ptrdiff_t c = 0; c < C; c++) {
            const REAL d = s[c];
            s[c] = d - m[c];
            m[c] = d;
        }
    }
    return loss;
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

/* Scores of one group of rows (at most GROUP_ROWS) into ds, shift added. */
TARGET static void SUFFIX(group_scores)(
    const struct batch *b, const REAL *const *x, ptrdiff_t quads,
    ptrdiff_t rows, VEC *acc, REAL *ds)
{
    const ptrdiff_t C = b->n_classes, F = b->n_features;
    const ptrdiff_t tile = K_TILE_BYTES / sizeof(REAL);
    const REAL *shift = b->shift;
    if (F <= tile) { /* the usual case: see _fused_direct.h */
        for (ptrdiff_t q = 0; q < quads; q++)
            SUFFIX(scores_direct)(x + 4 * q, b->W, b->w_stride, C, F, shift,
                                  rows - 4 * q, ds + 4 * q * C);
        return;
    }
    for (ptrdiff_t i = 0; i < quads * 4 * C; i++)
        acc[i] = (VEC){0};
    for (ptrdiff_t k0 = 0; k0 < F; k0 += tile) {
        ptrdiff_t k1 = k0 + tile < F ? k0 + tile : F;
        for (ptrdiff_t q = 0; q < quads; q++)
            SUFFIX(scores_tile)(x + 4 * q, b->W, b->w_stride, C, C, k0, k1,
                                acc + 4 * q * C);
    }
    for (ptrdiff_t r = 0; r < quads * 4; r++)
        for (ptrdiff_t c = 0; c < C; c++) {
            REAL total = 0;
            for (int lane = 0; lane < LANES; lane++)
                total += acc[r * C + c][lane];
            /* padding rows get zero dscores */
            ds[r * C + c] = r < rows ? total + shift[c] : 0;
        }
}

/* Rows [begin, end) into one gradient G and intercept gradient grad_b (both
 * zeroed here); returns their loss. Only the first GRADIENT_ROWS(C) rows of
 * G are computed. */
TARGET static double SUFFIX(rows_pass)(
    const struct batch *b, ptrdiff_t begin, ptrdiff_t end, REAL *G,
    REAL *grad_b, VEC *acc, REAL *ds)
{
    const ptrdiff_t C = b->n_classes, F = b->n_features;
    const ptrdiff_t tile = K_TILE_BYTES / sizeof(REAL);
    double loss = 0;
    memset(G, 0, sizeof(REAL) * (size_t)(GRADIENT_ROWS(C) * F));
    for (ptrdiff_t c = 0; c < C; c++)
        grad_b[c] = 0;
    for (ptrdiff_t g = begin; g < end; g += GROUP_ROWS) {
        const ptrdiff_t rows = end - g < GROUP_ROWS ? end - g : GROUP_ROWS;
        const ptrdiff_t quads = (rows + 3) / 4;
        const REAL *x[GROUP_ROWS];
        for (ptrdiff_t q = 0; q < quads; q++)
            SUFFIX(quad_rows)(x + 4 * q, b->X, b->x_stride, g + 4 * q, end - 1);
        SUFFIX(group_scores)(b, x, quads, rows, acc, ds);
        REAL correct[GROUP_ROWS] = {0};
        if (b->loss_kind != SKLINEAR_HINGE)
            SUFFIX(group_exp)(b, ds, g, rows, correct);
        for (ptrdiff_t r = 0; r < rows; r++) {
            REAL *s = ds + r * C;
            loss += SUFFIX(row_result)(b, s, g + r, correct[r]);
            for (ptrdiff_t c = 0; c < C; c++)
                grad_b[c] += s[c];
        }
        for (ptrdiff_t k0 = 0; k0 < F; k0 += tile) {
            ptrdiff_t k1 = k0 + tile < F ? k0 + tile : F;
            for (ptrdiff_t q = 0; q < quads; q++)
                SUFFIX(gradient_tile)(x + 4 * q, ds + 4 * q * C, F, C,
                                      GRADIENT_ROWS(C), k0, k1, G);
        }
    }
    return loss;
}

/* Adds the partial result in `slot` to grad_W and grad_b. Called in block
 * order only (see finish_block), so the sums never depend on the threads. */
TARGET static void SUFFIX(fold)(struct batch *b, int slot)
{
    const ptrdiff_t C = b->n_classes, F = b->n_features;
    const REAL *P = (const REAL *)b->slots + slot * b->slot_size;
    REAL *G = b->grad_W, *grad_b = b->grad_b;
    const ptrdiff_t computed = GRADIENT_ROWS(C) * F;
    for (ptrdiff_t i = 0; i < computed; i++)
        G[i] += P[i];
    for (ptrdiff_t c = 0; c < C; c++)
        grad_b[c] += P[C * F + c];
}

/* A thread's work: blocks of rows, claimed one at a time, until none are
 * left. Block 0 accumulates in grad_W itself, any other in a slot. */
TARGET static void *SUFFIX(work)(void *argument)
{
    struct batch *b = argument;
    const ptrdiff_t C = b->n_classes, F = b->n_features;
    VEC acc[GROUP_ROWS * C];
    REAL ds[GROUP_ROWS * C];
    ptrdiff_t block;
    int slot;
    while (claim_block(b, &block, &slot)) {
        REAL *G = slot < 0 ? (REAL *)b->grad_W
                           : (REAL *)b->slots + slot * b->slot_size;
        REAL *grad_b = slot < 0 ? (REAL *)b->grad_b : G + C * F;
        const ptrdiff_t begin = block_begin(b, block);
        const ptrdiff_t end = block_begin(b, block + 1);
        double loss = SUFFIX(rows_pass)(b, begin, end, G, grad_b, acc, ds);
        finish_block(b, block, slot, loss, SUFFIX(fold));
    }
    return NULL;
}

/* Every row of dscores sums to zero, so the gradient's last row is minus the
 * sum of the others (the pass computes C - 1 rows). */
TARGET static void SUFFIX(last_row)(struct batch *b)
{
    const ptrdiff_t C = b->n_classes, F = b->n_features;
    REAL *G = b->grad_W, *last = G + (C - 1) * F;
    if (C < 2)
        return;
    for (ptrdiff_t k = 0; k < F; k++)
        last[k] = 0;
    for (ptrdiff_t c = 0; c < C - 1; c++)
        for (ptrdiff_t k = 0; k < F; k++)
            last[k] -= G[c * F + k];
}

/* ------------------------------------------------------------------------
 * Split mode (see split_work in _fused.c), for a batch of one block: the
 * threads share it, first by rows (scores, loss, dscores), then by features
 * (the gradient). Each element is computed by the same operations in the
 * same order as in rows_pass, so the results are the same bits. */

/* Rows [first, last), whole groups: their dscores into b->split_ds and their
 * losses into b->row_loss, both indexed by row. */
TARGET static void SUFFIX(split_rows)(struct batch *b, ptrdiff_t first,
                                       ptrdiff_t last, VEC *acc)
{
    const ptrdiff_t C = b->n_classes;
    REAL *ds = (REAL *)b->split_ds;
    for (ptrdiff_t g = first; g < last; g += GROUP_ROWS) {
        const ptrdiff_t rows = last - g < GROUP_ROWS ? last - g : GROUP_ROWS;
        const ptrdiff_t quads = (rows + 3) / 4;
        const REAL *x[GROUP_ROWS];
        REAL *s = ds + g * C;
        for (ptrdiff_t q = 0; q < quads; q++)
            SUFFIX(quad_rows)(x + 4 * q, b->X, b->x_stride, g + 4 * q,
                              b->n_rows - 1);
        SUFFIX(group_scores)(b, x, quads, rows, acc, s);
        REAL correct[GROUP_ROWS] = {0};
        if (b->loss_kind != SKLINEAR_HINGE)
            SUFFIX(group_exp)(b, s, g, rows, correct);
        for (ptrdiff_t r = 0; r < rows; r++)
            b->row_loss[g + r] =
                SUFFIX(row_result)(b, s + r * C, g + r, correct[r]);
    }
}

/* Features [k0, k1) of the gradient, into grad_W. */
TARGET static void SUFFIX(split_features)(struct batch *b, ptrdiff_t k0,
                                           ptrdiff_t k1)
{
    const ptrdiff_t C = b->n_classes, F = b->n_features, used = GRADIENT_ROWS(C);
    const ptrdiff_t tile = K_TILE_BYTES / sizeof(REAL);
    const REAL *ds = (const REAL *)b->split_ds;
    REAL *G = (REAL *)b->grad_W;
    for (ptrdiff_t c = 0; c < used; c++)
        memset(G + c * F + k0, 0, sizeof(REAL) * (size_t)(k1 - k0));
    for (ptrdiff_t t0 = k0; t0 < k1; t0 += tile) {
        const ptrdiff_t t1 = t0 + tile < k1 ? t0 + tile : k1;
        for (ptrdiff_t first = 0; first < b->n_rows; first += 4) {
            const REAL *x[4];
            SUFFIX(quad_rows)(x, b->X, b->x_stride, first, b->n_rows - 1);
            SUFFIX(gradient_tile)(x, ds + first * C, F, C, used, t0, t1, G);
        }
    }
}

/* The loss and the intercept gradient, summed over the rows in order. */
TARGET static void SUFFIX(split_sums)(struct batch *b)
{
    const ptrdiff_t C = b->n_classes;
    const REAL *ds = (const REAL *)b->split_ds;
    REAL *grad_b = (REAL *)b->grad_b;
    double loss = 0;
    for (ptrdiff_t c = 0; c < C; c++)
        grad_b[c] = 0;
    for (ptrdiff_t r = 0; r < b->n_rows; r++) {
        loss += b->row_loss[r];
        for (ptrdiff_t c = 0; c < C; c++)
            grad_b[c] += ds[r * C + c];
    }
    b->loss = loss;
}

/* A thread's work in split mode: items of rows, then (once every row is
 * done) items of features, the first of which also sums the loss and the
 * intercept gradient, until none are left. */
TARGET static void *SUFFIX(split_work)(void *argument)
{
    struct batch *b = argument;
    VEC acc[GROUP_ROWS * b->n_classes];
    ptrdiff_t item;
    while ((item = __atomic_fetch_add(&b->next_item, 1, __ATOMIC_RELAXED))
           < b->row_items + b->feature_items) {
        if (item < b->row_items) {
            const ptrdiff_t first = item * SPLIT_ITEM_ROWS;
            const ptrdiff_t last = first + SPLIT_ITEM_ROWS;
            SUFFIX(split_rows)(b, first, last < b->n_rows ? last : b->n_rows,
                               acc);
        } else {
            wait_for_items(b, b->row_items);
            const ptrdiff_t k0 = (item - b->row_items) * b->item_features;
            const ptrdiff_t k1 = k0 + b->item_features;
            if (item == b->row_items)
                SUFFIX(split_sums)(b);
            SUFFIX(split_features)(b, k0,
                                   k1 < b->n_features ? k1 : b->n_features);
        }
        __atomic_fetch_add(&b->completed, 1, __ATOMIC_RELEASE);
    }
    return NULL;
}
