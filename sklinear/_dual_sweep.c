/* One epoch of dual coordinate ascent for the Weston-Watkins hinge, one
 * sample at a time (the liblinear / SDCA order of work).
 *
 * Sample i owns C - 1 dual variables a_ij in [0, 1] (j != y_i); with
 * G_i = sum_j a_ij (e_j - e_{y_i}) the dual-weight accumulator is
 * U = -sum_i f_i G_i (x_i - mu)^T and the weights W = soft(U, l1) / l2. A
 * step reads the sample's scores W (x_i - mu) + c - rho r (c the intercept
 * multiplier, r = sum_i f_i G_i the residual of the intercept's constraint),
 * solves its block of the augmented dual exactly (a box-constrained quadratic
 * in C - 1 unknowns: block_root) and adds the change to U and r. With a pure
 * L2 penalty the block is the dual's exact restriction; with an L1 part its
 * quadratic bounds the dual from below, so every step still raises it.
 *
 * Work per sample is proportional to its stored values times C: U is kept
 * transposed (features x classes) in scratch so that a feature's C entries
 * are adjacent. Sparse rows are never centered: for CSR X with an offset mu,
 * the scratch holds V = U - r mu^T, and the scores use x.mu (one pass over
 * the row), the running p = V mu and |mu|^2 (the rank-1 part of the update
 * goes into r alone). That form needs W linear in U, so the elastic net with
 * centered sparse X is refused (the caller's NumPy path takes it).
 *
 * With max_norm M > 0 the penalty also bounds each row of W to norm M, and
 * W_c = t_c soft(U_c, l1) / l2 with t_c = min(1, l2 M / |soft(U_c, l1)|):
 * the gradient of the conjugate of l1|w|_1 + l2/2 |w|^2 on the ball (the
 * projection of the unconstrained one). That conjugate is still 1/l2-smooth,
 * so the block's quadratic bounds the dual from below as with an L1 part.
 * The squared norms |soft(U_c, l1)|^2 are kept exact entry by entry as U
 * changes (refused with the split CSR form, which never holds U itself).
 *
 * Optionally it records for each visited sample how settled it is: the
 * smallest margin by which a sign keeps an a_ij at its bound (0 with a
 * negative margin, 1 with a positive one; negative when a step would move
 * it). The caller may skip settled samples for a few epochs (shrinking).
 *
 * The boundary (_dual_sweep_check.h) checks every array before anything is
 * computed and copies the labels and the order into scratch; the sweep runs
 * single-threaded (deterministic) with the GIL released, and re-checks each
 * CSR row's bounds when it reads it, so a caller that changes X meanwhile
 * gets a ValueError, not an out-of-bounds read.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* More classes than any linear model here has; keeps scratch sizes small
 * numbers whose products cannot overflow. */
#define MAX_CLASSES (1 << 20)
/* Below this many breakpoints insertion sort beats qsort's calls. */
#define INSERTION_SORT_LIMIT 32

#include "_dual_sweep_check.h"
#include "_prefetch.h"

/* For dense rows U stays in the caller's layout (classes x features), so a
 * class's score is one contiguous dot product and its update one axpy, both
 * on whole vectors (the transposed layout of sparse rows would loop over the
 * C classes per feature). */
#define SIMD_TEMPLATE "_simd_kernels.h"
#include "_simd_twice.h"

/* The dense products, chosen once at import (see choose_dense). */
static double (*dense_dot)(const double *, const double *, ptrdiff_t) =
    dot_baseline;
static void (*dense_axpy)(double *, double, const double *, ptrdiff_t) =
    axpy_baseline;

static const char *choose_dense(void)
{
#if SKLINEAR_X86
    if (simd_avx2()) {
        dense_dot = dot_avx2;
        dense_axpy = axpy_avx2;
        return "avx2";
    }
#endif
    return "baseline";
}

enum { BAD_NONE, BAD_NON_FINITE, BAD_ROW };

struct event {
    double at;
    int starts; /* 1: a term starts to fall here; 0: it reaches 0 */
};

struct sweep {
    /* X: dense rows (dense) or CSR (indices, indptr) */
    const void *values;
    int single; /* float32 values */
    int dense;  /* dense rows (else CSR) */
    ptrdiff_t stride;
    const void *indices, *indptr;
    int wide_indices, wide_indptr;
    ptrdiff_t nnz, row_capacity;
    ptrdiff_t n_samples, n_classes, n_features, n_order;
    /* n_epochs passes over order's equal parts; shrinking: full_every > 0
     * skips settled samples except in every full_every-th pass, counted by
     * since_full (-1: the next pass is full) */
    ptrdiff_t n_epochs, full_every, since_full;
    const ptrdiff_t *y, *order;
    const double *factors, *curvature, *offset;
    double *multiplier; /* stepped between the epochs of one call */
    double *a, *U, *residual;
    double *slack; /* optional output: how settled each visited sample is */
    double l1, l2, rho, margin, max_norm;
    int split; /* CSR with an offset: Ut holds V^T, see the top */
    double mu_sq, x_mu;
    /* scratch */
    double *Ut, *row, *scores, *change, *targets, *p;
    double *norm_sq; /* max_norm: |soft(U_c, l1)|^2 per class */
    double *dots;    /* dense rows: U_c (x_i - mu) before the step */
    double row_sq;   /* dense rows: |x_i - mu|^2 (max_norm, no l1) */
    ptrdiff_t *columns, *labels;
    struct event *events;
    /* results */
    double increase;
    int bad;
    ptrdiff_t bad_sample;
};

static double soft(double u, double l1)
{
    return u > l1 ? u - l1 : (u < -l1 ? u + l1 : 0.0);
}

static int earlier(const void *left, const void *right)
{
    const double a = ((const struct event *)left)->at;
    const double b = ((const struct event *)right)->at;
    return (a > b) - (a < b);
}

/* The breakpoints are finite (block_step checks), so the order is total. */
static void sort_events(struct event *e, ptrdiff_t n)
{
    if (n > INSERTION_SORT_LIMIT) {
        qsort(e, (size_t)n, sizeof(*e), earlier);
        return;
    }
    for (ptrdiff_t q = 1; q < n; q++) {
        const struct event item = e[q];
        ptrdiff_t k = q;
        for (; k > 0 && e[k - 1].at > item.at; k--)
            e[k] = e[k - 1];
        e[k] = item;
    }
}

/* The root t of t + A = sum_j clip(v_j - t, 0, 1) over v's K entries: the
 * left side rises and the right falls, piecewise linearly between the
 * breakpoints v_j - 1 and v_j, so the root lies on the first piece where
 * their difference turns non-negative and is found there exactly. */
static double block_root(const double *v, ptrdiff_t K, double A,
                         struct event *e)
{
    ptrdiff_t n = 0, active = 0;
    for (ptrdiff_t j = 0; j < K; j++) {
        e[n++] = (struct event){v[j] - 1.0, 1};
        e[n++] = (struct event){v[j], 0};
    }
    if (n == 0)
        return -A;
    sort_events(e, n);
    double sum = (double)K, at = e[0].at; /* the right side, at `at` */
    for (ptrdiff_t q = 0; q < n; q++) {
        sum -= (double)active * (e[q].at - at);
        at = e[q].at;
        const double difference = at + A - sum;
        if (difference >= 0)
            return at - difference / (double)(1 + active);
        active += e[q].starts ? 1 : -1;
    }
    return -A; /* past every breakpoint the right side is 0 */
}

/* Sample i's exact block step from its scores s (without the intercept):
 * updates its a_ij, writes the change of f_i G_i into w->change and adds the
 * dual's increase. Returns 1 if it moved, 0 if not, -1 on non-finite
 * scores. */
static int block_step(struct sweep *w, ptrdiff_t i, const double *s)
{
    const ptrdiff_t C = w->n_classes, yi = w->labels[i];
    const double f = w->factors[i], h = w->curvature[i]; /* per unit f */
    double *a = w->a + i * C, *m = w->change, *v = w->targets;
    const double c_y = w->multiplier[yi] - w->rho * w->residual[yi];
    double A = 0, check = 0, settled = INFINITY;
    int rising = 0;
    ptrdiff_t K = 0;
    for (ptrdiff_t j = 0; j < C; j++) {
        if (j == yi)
            continue;
        const double c_j = w->multiplier[j] - w->rho * w->residual[j];
        m[j] = (s[j] + c_j) - (s[yi] + c_y) + w->margin;
        check += m[j];
        A += a[j];
        rising |= m[j] > 0;
        v[K++] = a[j] + m[j] / h;
        /* By how much the margin keeps a_ij where it is: at 0 below it, at
         * 1 above it; in between it never does. */
        const double keeps = a[j] <= 0 ? -m[j] : a[j] >= 1 ? m[j] : -fabs(m[j]);
        settled = keeps < settled ? keeps : settled;
    }
    if (!isfinite(check) || !isfinite(h))
        return -1;
    if (w->slack != NULL)
        w->slack[i] = K > 0 ? settled : INFINITY;
    if (A == 0 && !rising) /* every a_ij at 0 with a margin <= 0: optimal */
        return 0;
    const double t = block_root(v, K, A, w->events);
    double total = 0, linear = 0, squares = 0;
    K = 0;
    for (ptrdiff_t j = 0; j < C; j++) {
        if (j == yi)
            continue;
        const double target = v[K++] - t;
        const double next = target < 0 ? 0 : (target > 1 ? 1 : target);
        const double d = next - a[j];
        a[j] = next;
        linear += m[j] * d;
        squares += d * d;
        total += d;
        m[j] = f * d; /* the margin is used: now the change of f_i G_i */
    }
    m[yi] = -f * total;
    w->increase += f * (linear - 0.5 * h * (squares + total * total));
    return squares > 0;
}

/* Row i into w->row (dense: x_i - mu; CSR: its values, columns in
 * w->columns). Returns its length, or -1 if a CSR row is out of bounds. */
static ptrdiff_t load_row(struct sweep *w, ptrdiff_t i)
{
    const ptrdiff_t F = w->n_features;
    double *row = w->row;
    if (w->dense) {
        const char *x = (const char *)w->values
                        + i * w->stride * (w->single ? 4 : 8);
        if (w->single)
            for (ptrdiff_t k = 0; k < F; k++)
                row[k] = ((const float *)x)[k];
        else
            memcpy(row, x, (size_t)F * sizeof(double));
        if (w->offset != NULL)
            for (ptrdiff_t k = 0; k < F; k++)
                row[k] -= w->offset[k];
        return F;
    }
    const int64_t start = index_at(w->indptr, w->wide_indptr, i);
    const int64_t end = index_at(w->indptr, w->wide_indptr, i + 1);
    if (start < 0 || end < start || end > w->nnz
        || end - start > w->row_capacity)
        return -1;
    const ptrdiff_t count = (ptrdiff_t)(end - start);
    for (ptrdiff_t q = 0; q < count; q++) {
        const int64_t column = index_at(w->indices, w->wide_indices, start + q);
        if (column < 0 || column >= F)
            return -1;
        w->columns[q] = (ptrdiff_t)column;
        row[q] = w->single ? ((const float *)w->values)[start + q]
                           : ((const double *)w->values)[start + q];
    }
    return count;
}

/* t_c of the top: how much the ball shrinks class c's row of W. */
static double row_scale(const struct sweep *w, ptrdiff_t c)
{
    const double bound = w->l2 * w->max_norm, norm_sq = w->norm_sq[c];
    return norm_sq > bound * bound ? bound / sqrt(norm_sq) : 1.0;
}

/* The dense row's U_c (x_i - mu), from U in the caller's layout. */
static void dense_scores(struct sweep *w, double *s)
{
    const ptrdiff_t C = w->n_classes, F = w->n_features;
    const double l1 = w->l1;
    for (ptrdiff_t j = 0; j < C; j++) {
        const double *u = w->U + j * F;
        if (l1 > 0) {
            double total = 0;
            for (ptrdiff_t k = 0; k < F; k++)
                total += soft(u[k], l1) * w->row[k];
            s[j] = total;
        } else {
            s[j] = dense_dot(u, w->row, F);
        }
        w->dots[j] = s[j];
    }
    if (w->max_norm > 0 && l1 == 0)
        w->row_sq = dense_dot(w->row, w->row, F);
}

/* s = W (x_i - mu) for the loaded row. */
static void row_scores(struct sweep *w, ptrdiff_t count, double *s)
{
    const ptrdiff_t C = w->n_classes;
    const double l1 = w->l1;
    if (w->dense) {
        dense_scores(w, s);
        for (ptrdiff_t j = 0; j < C; j++) {
            s[j] /= w->l2;
            if (w->max_norm > 0)
                s[j] *= row_scale(w, j);
        }
        return;
    }
    memset(s, 0, (size_t)C * sizeof(double));
    w->x_mu = 0;
    for (ptrdiff_t q = 0; q < count; q++) {
        const double x = w->row[q];
        const ptrdiff_t k = w->columns[q];
        const double *u = w->Ut + k * C;
        if (q + PREFETCH_AHEAD < count)
            prefetch_span((uintptr_t)(w->Ut + w->columns[q + PREFETCH_AHEAD] * C), C);
        if (x == 0)
            continue;
        if (w->split)
            w->x_mu += x * w->offset[k];
        if (l1 > 0)
            for (ptrdiff_t j = 0; j < C; j++)
                s[j] += x * soft(u[j], l1);
        else
            for (ptrdiff_t j = 0; j < C; j++)
                s[j] += x * u[j];
    }
    for (ptrdiff_t j = 0; j < C; j++) {
        if (w->split) /* U (x - mu) = V x + r x.mu - V mu - r |mu|^2 */
            s[j] += w->residual[j] * (w->x_mu - w->mu_sq) - w->p[j];
        s[j] /= w->l2;
        if (w->max_norm > 0)
            s[j] *= row_scale(w, j);
    }
}

/* *u -= delta, keeping norm_sq = |soft(U_c, l1)|^2 of its row exact. */
static inline void tracked_step(double *u, double delta, double l1,
                                double *norm_sq)
{
    const double before = soft(*u, l1);
    *u -= delta;
    const double after = soft(*u, l1);
    *norm_sq += (after - before) * (after + before);
}

/* The dense row's U_c -= g_c (x_i - mu), and the norms of the rows. */
static void dense_update(struct sweep *w)
{
    const ptrdiff_t C = w->n_classes, F = w->n_features;
    const double *g = w->change, l1 = w->l1;
    for (ptrdiff_t j = 0; j < C; j++) {
        double *u = w->U + j * F;
        if (g[j] == 0)
            continue;
        if (w->max_norm > 0 && l1 > 0) {
            for (ptrdiff_t k = 0; k < F; k++)
                tracked_step(&u[k], g[j] * w->row[k], l1, &w->norm_sq[j]);
            continue;
        }
        /* |u - g x|^2 = |u|^2 - 2 g u.x + g^2 |x|^2, u.x from the scores */
        if (w->max_norm > 0)
            w->norm_sq[j] += g[j] * (g[j] * w->row_sq - 2 * w->dots[j]);
        dense_axpy(u, g[j], w->row, F);
    }
}

/* U -= change (x_i - mu)^T and r += change. */
static void row_update(struct sweep *w, ptrdiff_t count)
{
    const ptrdiff_t C = w->n_classes;
    const double *g = w->change;
    if (w->dense) {
        dense_update(w);
        for (ptrdiff_t j = 0; j < C; j++)
            w->residual[j] += g[j];
        return;
    }
    for (ptrdiff_t q = 0; q < count; q++) {
        const double x = w->row[q];
        double *u = w->Ut + w->columns[q] * C;
        if (x == 0)
            continue;
        if (w->max_norm > 0)
            for (ptrdiff_t j = 0; j < C; j++)
                tracked_step(&u[j], g[j] * x, w->l1, &w->norm_sq[j]);
        else
            for (ptrdiff_t j = 0; j < C; j++)
                u[j] -= g[j] * x;
    }
    for (ptrdiff_t j = 0; j < C; j++) {
        if (w->split)
            w->p[j] -= g[j] * w->x_mu;
        w->residual[j] += g[j];
    }
}

/* The first columns of CSR row i (a coming step's), if its pointers are
 * in bounds; its columns are checked when it is loaded, not here (see
 * _prefetch.h: the addresses are integers, and prefetches never fault). */
static void prefetch_row(const struct sweep *w, ptrdiff_t i)
{
    if (w->dense)
        return;
    const int64_t start = index_at(w->indptr, w->wide_indptr, i);
    const int64_t end = index_at(w->indptr, w->wide_indptr, i + 1);
    if (start < 0 || end < start || end > w->nnz)
        return;
    const uintptr_t line = (uintptr_t)w->n_classes * sizeof(double);
    for (int64_t q = start; q < end && q < start + PREFETCH_AHEAD; q++) {
        const int64_t column = index_at(w->indices, w->wide_indices, q);
        prefetch_span((uintptr_t)w->Ut + (uintptr_t)column * line, w->n_classes);
    }
}

/* One pass over the samples order[0..n_visits) (settled ones skipped unless
 * full). */
static void run_pass(struct sweep *w, const ptrdiff_t *order,
                     ptrdiff_t n_visits, int full)
{
    for (ptrdiff_t t = 0; t < n_visits; t++) {
        const ptrdiff_t i = order[t];
        if (t + 1 < n_visits)
            prefetch_row(w, order[t + 1]);
        /* A sample of weight 0 (or with nothing to move) has no effect. */
        if (!(w->factors[i] > 0 && w->curvature[i] > 0))
            continue;
        if (!full && w->slack != NULL && w->slack[i] > 0)
            continue;
        const ptrdiff_t count = load_row(w, i);
        if (count < 0) {
            w->bad = BAD_ROW, w->bad_sample = i;
            return;
        }
        row_scores(w, count, w->scores);
        const int moved = block_step(w, i, w->scores);
        if (moved < 0) {
            w->bad = BAD_NON_FINITE, w->bad_sample = i;
            return;
        }
        if (moved)
            row_update(w, count);
    }
}

/* Whether the next pass visits every sample, and the count for the next. */
static int full_pass(struct sweep *w)
{
    const int full = w->full_every <= 0 || w->since_full < 0
                     || w->since_full + 1 >= w->full_every;
    w->since_full = full ? 0 : w->since_full + 1;
    return full;
}

/* The passes over order's parts, the multiplier step c <- c - rho r between
 * them (the caller takes the one after the last, as after a single pass). */
static void run_sweep(struct sweep *w)
{
    const ptrdiff_t per_epoch = w->n_order / w->n_epochs;
    for (ptrdiff_t e = 0; e < w->n_epochs && !w->bad; e++) {
        if (e > 0)
            for (ptrdiff_t j = 0; j < w->n_classes; j++)
                w->multiplier[j] -= w->rho * w->residual[j];
        const int full = full_pass(w);
        run_pass(w, w->order + e * per_epoch, per_epoch, full);
    }
}

#include "_dual_sweep_boundary.h"
