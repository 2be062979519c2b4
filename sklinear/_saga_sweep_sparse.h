/* The CSR epoch of _saga_sweep_impl.h (lazy updates, W and sum_W
 * column-major: see the comment above RESCALE_BELOW there), included twice
 * by _simd_twice.h: with TARGET empty (the baseline ISA) and with TARGET =
 * avx2,fma on x86 (chosen at import, as the dense step). A step's loops run
 * over the C weights of each of its row's columns: with AVX2 a softmax fit
 * of five epochs on 80,000 x 100,000 CSR rows of 120 values and 20 classes
 * took 0.86x, 0.95x and 0.94x the baseline's time in three alternated
 * pairs (4.5 to 5.5 s). The scalar parts (the L1 catch-up's search, the
 * row checks, the prefetches) are the baseline's, shared.
 */

/* Bring column j of V up to step `now`. */
TARGET static inline void SUFFIX(catch_up)(struct sweep *s, ptrdiff_t j,
                                          ptrdiff_t now)
{
    const ptrdiff_t from = s->last[j];
    if (from == now)
        return;
    const double total = s->cum[now] - s->cum[from];
    double *v = s->W + j * s->C;
    const double *g = s->sum_W + j * s->C;
    if (s->l1 > 0)
        for (Py_ssize_t c = 0; c < s->C; c++)
            v[c] = catch_up_l1(v[c], g[c], s->l1, s->cum, from, now);
    else
        for (Py_ssize_t c = 0; c < s->C; c++)
            v[c] -= g[c] * total;
    s->last[j] = now;
}

/* All columns up to step `now`, V scaled back to the weights, cum[now] 0. */
TARGET static void SUFFIX(flush)(struct sweep *s, ptrdiff_t now,
                                 double *scale)
{
    for (Py_ssize_t j = 0; j < s->d; j++)
        SUFFIX(catch_up)(s, j, now);
    for (Py_ssize_t k = 0; k < s->C * s->d; k++)
        s->W[k] *= *scale;
    *scale = 1.0;
    s->cum[now] = 0.0;
}

/* Row i's columns into s->cols (each checked) and values into s->row,
 * every column caught up to step t; its length, or -1 for a bad row.
 * All catch-ups before any score: they are independent, so their cache
 * misses overlap (each followed by its score, an epoch on 20,000 x
 * 100,000 x 20 classes took 1.2x the time). */
TARGET static inline ptrdiff_t SUFFIX(load_row)(struct sweep *s, ptrdiff_t i,
                                               ptrdiff_t t)
{
    const Py_ssize_t C = s->C, d = s->d;
    const double *W = s->W, *sum_W = s->sum_W;
    ptrdiff_t first, end;
    if (row_range(s, i, &first, &end) < 0)
        return -1;
    const ptrdiff_t nnz = end - first;
    for (ptrdiff_t k = 0; k < nnz; k++) {
        if (k + PREFETCH_AHEAD < nnz)
            prefetch_column(W, sum_W, C,
                            int_value(s->indices, s->index_item,
                                      first + k + PREFETCH_AHEAD));
        const ptrdiff_t j = int_value(s->indices, s->index_item, first + k);
        if (j < 0 || j >= d)
            return -1;
        s->cols[k] = j;
        s->row[k] = x_value(s->X, s->x_item, first + k);
        SUFFIX(catch_up)(s, j, t);
    }
    return nnz;
}

/* One step on row i at step t; -1 if the row is bad (see row_range). */
TARGET static int SUFFIX(sparse_step)(struct sweep *s, ptrdiff_t i,
                                      ptrdiff_t t, double *scale)
{
    const Py_ssize_t C = s->C, d = s->d;
    const ptrdiff_t nnz = SUFFIX(load_row)(s, i, t);
    if (nnz < 0)
        return -1;
    double *restrict g = s->g;
    for (Py_ssize_t c = 0; c < C; c++)
        g[c] = 0.0;
    for (ptrdiff_t k = 0; k < nnz; k++) {
        const double *restrict v = s->W + s->cols[k] * C, x = s->row[k];
        for (Py_ssize_t c = 0; c < C; c++)
            g[c] += v[c] * x;
    }
    for (Py_ssize_t c = 0; c < C; c++)
        g[c] = *scale * g[c] + s->b[c];
    saga_direction(s, i);
    const double a = s->eta / *scale, t1 = a * s->l1;
    const double *restrict delta = s->delta;
    for (ptrdiff_t k = 0; k < nnz; k++) {
        double *restrict v = s->W + s->cols[k] * C;
        double *restrict sw = s->sum_W + s->cols[k] * C;
        const double x = s->row[k];
        if (t1 > 0) {
            for (Py_ssize_t c = 0; c < C; c++) {
                v[c] = soft(v[c] - a * (g[c] * x + sw[c]), t1);
                sw[c] += delta[c] * x;
            }
        } else { /* soft(w, 0) = w: the same bits, half the work */
            for (Py_ssize_t c = 0; c < C; c++) {
                v[c] -= a * (g[c] * x + sw[c]);
                sw[c] += delta[c] * x;
            }
        }
        s->last[s->cols[k]] = t + 1;
    }
    s->cum[t + 1] = s->cum[t] + a;
    *scale /= 1.0 + s->eta * s->l2;
    if (s->max_norm > 0 || *scale < RESCALE_BELOW) {
        SUFFIX(flush)(s, t + 1, scale);
        if (s->max_norm > 0) /* the projection needs every row's norm */
            project_columns(s->W, C, d, s->max_norm);
    }
    intercept_step(s);
    return 0;
}

/* The CSR epoch; -1 (and s->bad_row) if a row turned bad meanwhile. */
TARGET static int SUFFIX(csr_epoch)(struct sweep *s)
{
    double scale = 1.0;
    s->cum[0] = 0.0;
    for (Py_ssize_t j = 0; j < s->d; j++)
        s->last[j] = 0;
    for (ptrdiff_t t = 0; t < s->n_order; t++) {
        if (t + 1 < s->n_order)
            prefetch_row(s, s->order[t + 1]);
        if (SUFFIX(sparse_step)(s, s->order[t], t, &scale) < 0) {
            s->bad_row = s->order[t];
            SUFFIX(flush)(s, t, &scale); /* W holds weights again, not V */
            return -1;
        }
    }
    SUFFIX(flush)(s, s->n_order, &scale);
    return 0;
}
