/* The steps of one per-sample proximal SAGA epoch (included once by
 * _saga_sweep.c, which checks every array before these run).
 *
 * State is float64 whatever X's dtype: an epoch adds n increments to the
 * running sums, and the lazy sparse steps divide by a scale factor that
 * falls by orders of magnitude, both of which float32 would not survive.
 * X is read in its own dtype, one row at a time, into a float64 buffer.
 *
 * One step on sample i (f_i G_i its weighted score gradient, M_i its memory,
 * r_i = 1 / (n_samples p_i) for a sample drawn with probability p_i, so n r_i
 * = n for uniform sampling, eta the step, mu the centering offset):
 *     s = W (x_i - mu) + b,  g = f_i grad L_i(s),  delta = g - M_i,  M_i = g
 *     dir_b = n r_i delta + sum_b
 *     W <- prox(W - eta (n r_i delta (x_i - mu)^T + sum_W - sum_b mu^T))
 *     sum_W += delta x_i^T,  sum_b += delta,  b <- b - eta dir_b
 * with prox(w) = soft(w, eta l1) / (1 + eta l2), then the max-norm
 * projection of each row of W.
 */

struct sweep {
    /* dense X: rows of x_stride elements; CSR: data, indices, indptr */
    const char *X;
    ptrdiff_t x_stride;
    Py_ssize_t x_item, index_item, pointer_item;
    const char *indices, *indptr;
    Py_ssize_t n, d, C, n_order;
    const ptrdiff_t *y, *order;
    const double *factors, *scales, *offset; /* offset NULL: uncentered */
    double *W, *b, *memory, *sum_W, *sum_b;
    double eta, margin, mu, l1, l2, max_norm;
    int loss, fit_intercept;
    /* scratch */
    double *row, *g, *delta, *dir_b, *cum;
    ptrdiff_t *last, *cols;
    ptrdiff_t nnz;     /* CSR: entries in data and indices */
    ptrdiff_t bad_row; /* the row a failed epoch stopped at */
};

static inline double x_value(const char *base, Py_ssize_t item, ptrdiff_t k)
{
    return item == 4 ? (double)((const float *)base)[k]
                     : ((const double *)base)[k];
}

static inline ptrdiff_t int_value(const char *base, Py_ssize_t item,
                                  ptrdiff_t k)
{
    return item == 4 ? (ptrdiff_t)((const int32_t *)base)[k]
                     : (ptrdiff_t)((const int64_t *)base)[k];
}

/* Soft thresholding, branch-free: the signs of the weights a step touches
 * are unpredictable, and mispredicted branches cost more than the step. */
static inline double soft(double w, double t)
{
    const double magnitude = fabs(w) - t;
    return copysign(magnitude > 0.0 ? magnitude : 0.0, w); /* maxsd, no call */
}

/* The softmax's exponentials: _vexp.h's vectorized exp, baseline ISA. */
#include "_simd.h"
#define REAL double
#define VEC vf64
#define VECI vi64
#define LANES 4
#define TARGET
#define SUFFIX(name) name##_sweep
#include "_vexp.h"
#undef REAL
#undef VEC
#undef VECI
#undef LANES
#undef TARGET
#undef SUFFIX
/* log of the smallest normal double: the softmax's floor, as in _fused.c. */
#define SWEEP_LOG_TINY (-708.3964185322641)

/* g <- f (dL/ds) at the scores s (in g on entry), for label y. */
static void score_gradient(const struct sweep *s, double *g, ptrdiff_t y,
                           double f)
{
    const Py_ssize_t C = s->C;
    if (s->loss == SWEEP_SOFTMAX) {
        double top = g[0], total = 0.0;
        for (Py_ssize_t c = 1; c < C; c++)
            top = g[c] > top ? g[c] : top;
        for (Py_ssize_t c = 0; c < C; c++) {
            const double shifted = g[c] - top;
            g[c] = shifted < SWEEP_LOG_TINY ? SWEEP_LOG_TINY : shifted;
        }
        exp_in_place_sweep(g, C);
        for (Py_ssize_t c = 0; c < C; c++)
            total += g[c];
        for (Py_ssize_t c = 0; c < C; c++)
            g[c] = f * (g[c] / total - (c == y));
        return;
    }
    const double correct = g[y];
    double sum = 0.0;
    for (Py_ssize_t c = 0; c < C; c++) {
        const double z = g[c] - correct + s->margin;
        double a;
        if (s->mu > 0)
            a = z <= 0 ? 0.0 : z >= s->mu ? 1.0 : z / s->mu;
        else
            a = z > 0 ? 1.0 : 0.0;
        g[c] = c == y ? 0.0 : a;
        sum += g[c];
    }
    g[y] = -sum;
    for (Py_ssize_t c = 0; c < C; c++)
        g[c] *= f;
}

/* Gradient and memory of sample i, given its scores in s->g: leaves delta
 * in s->delta, its multiple scales[i] delta in s->g and dir_b in s->dir_b;
 * sum_b is not yet updated. */
static void saga_direction(struct sweep *s, ptrdiff_t i)
{
    double *g = s->g, *m = s->memory + i * s->C;
    score_gradient(s, g, s->y[i], s->factors[i]);
    for (Py_ssize_t c = 0; c < s->C; c++) {
        s->delta[c] = g[c] - m[c];
        m[c] = g[c];
        g[c] = s->scales[i] * s->delta[c];
        s->dir_b[c] = g[c] + s->sum_b[c];
    }
}

/* Update sum_b and step the intercept (after the weights' step). */
static void intercept_step(struct sweep *s)
{
    for (Py_ssize_t c = 0; c < s->C; c++) {
        s->sum_b[c] += s->delta[c];
        if (s->fit_intercept)
            s->b[c] -= s->eta * s->dir_b[c];
    }
}

static void project_rows(double *W, Py_ssize_t C, Py_ssize_t d, double bound)
{
    for (Py_ssize_t c = 0; c < C; c++) {
        double *w = W + c * d, norm = 0.0;
        for (Py_ssize_t j = 0; j < d; j++)
            norm += w[j] * w[j];
        norm = sqrt(norm);
        if (norm > bound)
            for (Py_ssize_t j = 0; j < d; j++)
                w[j] *= bound / norm;
    }
}

/* The same for column-major W (CSR epochs). */
static void project_columns(double *W, Py_ssize_t C, Py_ssize_t d,
                            double bound)
{
    for (Py_ssize_t c = 0; c < C; c++) {
        double norm = 0.0;
        for (Py_ssize_t j = 0; j < d; j++)
            norm += W[j * C + c] * W[j * C + c];
        norm = sqrt(norm);
        if (norm > bound)
            for (Py_ssize_t j = 0; j < d; j++)
                W[j * C + c] *= bound / norm;
    }
}

/* ------------------------------------------------------------------------
 * Dense X: every step updates all C x d weights, centered by offset. */

#define SIMD_TEMPLATE "_saga_sweep_dense.h"
#include "_simd_twice.h"

/* The dense step, chosen once at import (see choose_isa). */
static void (*dense_step)(struct sweep *, ptrdiff_t) = dense_step_baseline;

/* ------------------------------------------------------------------------
 * CSR X, uncentered, with lazy updates. W and sum_W are column-major here
 * (Fortran order: the C weights of a feature side by side), so that a step
 * reads and writes one or two cache lines per nonzero, not C of them (as
 * sag_fast keeps its weights). W holds V with weights scale * V;
 * column j of V has had the steps before last[j]; step k moves an untouched
 * column by V <- soft(V - a_k sum_W, l1 a_k) with a_k = eta / scale_k, and
 * cum[k] = a_0 + ... + a_{k-1} (restarted at 0 whenever all columns are
 * brought up to date). */

#define RESCALE_BELOW 1e-9

/* V after the steps from..to-1 with a constant gradient g: piecewise
 * linear in the cumulative steps, so each sign region is one binary search
 * (the map is monotone: at most positive, zero, negative, in that order or
 * the reverse). */
static double catch_up_l1(double v, double g, double l1, const double *cum,
                          ptrdiff_t from, ptrdiff_t to)
{
    for (int region = 0; region < 4 && from < to; region++) {
        const double sign = v > 0 || (v == 0 && g < -l1) ? 1.0
                          : v < 0 || (v == 0 && g > l1) ? -1.0 : 0.0;
        if (sign == 0.0)
            return 0.0; /* zero, and the threshold keeps it there */
        const double rate = sign * g + l1, start = sign * v; /* start >= 0 */
        if (rate <= 0)
            return sign * (start - rate * (cum[to] - cum[from]));
        /* first k + 1 in (from, to] where start - rate (cum[k+1] - cum[from])
         * <= 0: step k leaves the region */
        const double reach = cum[from] + start / rate;
        ptrdiff_t lo = from + 1, hi = to + 1;
        while (lo < hi) {
            const ptrdiff_t mid = lo + (hi - lo) / 2;
            if (cum[mid] >= reach)
                hi = mid;
            else
                lo = mid + 1;
        }
        if (lo > to)
            return sign * (start - rate * (cum[to] - cum[from]));
        const ptrdiff_t k = lo - 1;
        const double a = cum[k + 1] - cum[k];
        v = sign * (start - rate * (cum[k] - cum[from]));
        v = soft(v - a * g, l1 * a);
        from = k + 1;
    }
    return v;
}

/* The entries [*first, *end) of row i, or -1 if its pointers are out of
 * order, past the data or longer than a row can be. The boundary checked
 * them, but the epoch runs without the GIL: a caller that changes X's
 * arrays meanwhile gets a ValueError, not a read out of bounds. */
static int row_range(const struct sweep *s, ptrdiff_t i, ptrdiff_t *first,
                     ptrdiff_t *end)
{
    *first = int_value(s->indptr, s->pointer_item, i);
    *end = int_value(s->indptr, s->pointer_item, i + 1);
    return *first >= 0 && *end >= *first && *end <= s->nnz
                   && *end - *first <= s->d
               ? 0 : -1;
}

/* Column j's weights and sums, ahead of their use (see _prefetch.h). The
 * column is checked when its row is loaded, not here: the addresses are
 * formed as integers (defined for any j) and a prefetch never faults. */
static inline void prefetch_column(const double *W, const double *sum_W,
                                   Py_ssize_t C, ptrdiff_t j)
{
    const uintptr_t offset = (uintptr_t)j * (uintptr_t)C * sizeof(double);
    prefetch_span((uintptr_t)W + offset, C);
    prefetch_span((uintptr_t)sum_W + offset, C);
}

/* The first columns of row i (the next step's). */
static void prefetch_row(const struct sweep *s, ptrdiff_t i)
{
    ptrdiff_t first, end;
    if (row_range(s, i, &first, &end) < 0)
        return;
    for (ptrdiff_t k = first; k < end && k < first + PREFETCH_AHEAD; k++)
        prefetch_column(s->W, s->sum_W, s->C,
                        int_value(s->indices, s->index_item, k));
}

#define SIMD_TEMPLATE "_saga_sweep_sparse.h"
#include "_simd_twice.h"

/* The CSR epoch, chosen once at import with the dense step (choose_isa). */
static int (*csr_epoch)(struct sweep *) = csr_epoch_baseline;

/* The steps' kernels for this CPU: AVX2 + FMA where it has them (unless
 * SKLINEAR_BASELINE_ISA is set); returns the instruction set's name. */
static const char *choose_isa(void)
{
#if SKLINEAR_X86
    if (simd_avx2()) {
        dense_step = dense_step_avx2;
        csr_epoch = csr_epoch_avx2;
        return "avx2";
    }
#endif
    return "baseline";
}

/* The epoch; -1 (and s->bad_row) if a CSR row turned bad meanwhile. */
static int run_sweep(struct sweep *s)
{
    if (s->indptr == NULL) {
        double *mu = s->row + 2 * s->d;
        for (Py_ssize_t j = 0; j < s->d; j++)
            mu[j] = s->offset ? s->offset[j] : 0.0;
        for (ptrdiff_t t = 0; t < s->n_order; t++)
            dense_step(s, s->order[t]);
        return 0;
    }
    return csr_epoch(s);
}
