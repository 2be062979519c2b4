/* The checked boundary of epoch (included once by _saga_sweep.c).
 *
 * The helpers that read one buffer's format, strides and extent are
 * _buffer_check.h's, shared with the other kernels. Nothing
 * reaches run_sweep unless it fits: X float32 or float64 (dense rows with a
 * unit column stride, or a contiguous CSR data array), the state float64
 * and C-contiguous, writable and overlapping no other array, the CSR
 * indices and pointers int32 or int64, contiguous and in bounds, no column
 * twice in a row, every label in [0, n_classes) and every order index in
 * [0, n_samples). Labels and the order are copied into scratch.
 */

#include "_buffer_check.h"

enum {
    A_X, A_INDICES, A_INDPTR, A_Y, A_FACTORS, A_SCALES, A_ORDER, A_OFFSET,
    A_W, A_B, A_MEMORY, A_SUM_W, A_SUM_B, N_ARRAYS
};
#define FIRST_OUTPUT A_W
static const char *const array_names[N_ARRAYS] = {
    "X", "indices", "indptr", "y", "factors", "scales", "order", "offset",
    "W", "b", "memory", "sum_W", "sum_b",
};

struct arrays {
    Py_buffer view[N_ARRAYS];
    int held[N_ARRAYS];
    void *scratch;
};

static void release_arrays(struct arrays *a)
{
    release_views(a->view, a->held, N_ARRAYS);
    free(a->scratch);
    memset(a, 0, sizeof(*a));
}

static int check_scalars(const struct sweep *s)
{
    if (s->loss != SWEEP_HINGE && s->loss != SWEEP_SOFTMAX)
        return fail("loss must be HINGE or SOFTMAX, got %d.", s->loss);
    if (!(isfinite(s->eta) && s->eta > 0))
        return fail("eta must be positive and finite.");
    if (!(isfinite(s->margin) && isfinite(s->mu) && s->mu >= 0))
        return fail("margin must be finite and mu finite, at least 0.");
    if (!(isfinite(s->l1) && s->l1 >= 0 && isfinite(s->l2) && s->l2 >= 0
          && isfinite(s->max_norm) && s->max_norm >= 0))
        return fail("l1, l2 and max_norm must be finite, at least 0.");
    return 0;
}

/* Buffers (None allowed for indices, indptr and offset); outputs writable. */
static int get_views(struct arrays *a, PyObject *const *objects)
{
    for (int i = 0; i < N_ARRAYS; i++) {
        if (objects[i] == Py_None
            && (i == A_INDICES || i == A_INDPTR || i == A_OFFSET))
            continue;
        int writable = i >= FIRST_OUTPUT;
        if (get_buffer(objects[i], &a->view[i], &a->held[i], array_names[i],
                       writable) < 0)
            return -1;
    }
    if (a->held[A_INDICES] != a->held[A_INDPTR])
        return fail("indices and indptr must both be arrays (CSR X) or both "
                    "None (dense X).");
    return 0;
}

/* An array of `ndim` dimensions, `kind`, `itemsize` (0: 4 or 8), shape (a
 * negative entry: any), contiguous in `order` ('C' or 'F'; dense X only
 * needs unit column strides, see check_dense_x). */
static int check_array(const struct arrays *a, int i, int ndim, char kind,
                       Py_ssize_t itemsize, Py_ssize_t rows, Py_ssize_t cols,
                       char order)
{
    const Py_buffer *v = &a->view[i];
    const char *name = array_names[i];
    if (check_dimensions_and_kind(v, name, ndim, kind, itemsize) < 0)
        return -1;
    const Py_ssize_t want[2] = {rows, cols};
    for (int d = 0; d < ndim; d++)
        if (want[d] >= 0 && v->shape[d] != want[d])
            return fail("%s has %zd entries along axis %d, expected %zd.",
                        name, v->shape[d], d, want[d]);
    if (!aligned(v))
        return fail("%s is not aligned to its element size.", name);
    if (i != A_X || ndim == 1)
        if (!PyBuffer_IsContiguous(v, order))
            return fail("%s must be %s-contiguous.", name,
                        order == 'F' ? "Fortran" : "C");
    return 0;
}

/* Dense X: rows of whole-element stride, unit column stride. */
static int check_dense_x(const struct arrays *a, Py_ssize_t n, Py_ssize_t d)
{
    const Py_buffer *X = &a->view[A_X];
    if (check_array(a, A_X, 2, 'f', 0, n, d, 'C') < 0)
        return -1;
    if (!whole_strides(X))
        return fail("X's strides must be whole elements.");
    if (X->shape[1] > 1 && X->strides[1] != X->itemsize)
        return fail("X's rows must be contiguous (unit column stride).");
    if (X->shape[0] > 1 && X->strides[0] < 0)
        return fail("X's row stride must not be negative.");
    return 0;
}

/* What walk_csr found: the first problem, where it is (the pointer's or
 * the entry's position `at`, its `value`, its `row`), and the first row
 * that holds a column twice (-1: none). */
enum csr_problem { CSR_VALID, CSR_DUPLICATE, CSR_BAD_POINTER, CSR_BAD_COLUMN };
struct csr_walk {
    enum csr_problem problem;
    ptrdiff_t row, at, value;
    ptrdiff_t first_duplicate;
};

/* The CSR structure of n rows over nnz entries and d columns: each row's
 * pointers in order within the entries, its columns in [0, d) and (with
 * `mark`, d scratch slots) the first row that holds a column twice. Stops
 * at a bad pointer or column, and at that duplicate if `stop_at_duplicate`
 * (else walks on, so that the whole structure is checked). */
static struct csr_walk walk_csr(const Py_buffer *indices,
                                const Py_buffer *indptr, Py_ssize_t n,
                                Py_ssize_t nnz, Py_ssize_t d, ptrdiff_t *mark,
                                int stop_at_duplicate)
{
    struct csr_walk w = {CSR_VALID, 0, 0, 0, -1};
    for (Py_ssize_t j = 0; j < d; j++)
        mark[j] = -1;
    ptrdiff_t previous = int_value(indptr->buf, indptr->itemsize, 0);
    if (previous < 0)
        return (struct csr_walk){CSR_BAD_POINTER, 0, 0, previous, -1};
    for (Py_ssize_t i = 0; i < n; i++) {
        const ptrdiff_t end = int_value(indptr->buf, indptr->itemsize, i + 1);
        if (end < previous || end > nnz)
            return (struct csr_walk){CSR_BAD_POINTER, i, i + 1, end,
                                     w.first_duplicate};
        for (ptrdiff_t k = previous; k < end; k++) {
            const ptrdiff_t j = int_value(indices->buf, indices->itemsize, k);
            if (j < 0 || j >= d)
                return (struct csr_walk){CSR_BAD_COLUMN, i, k, j,
                                         w.first_duplicate};
            if (mark[j] == i && w.first_duplicate < 0) {
                w.first_duplicate = i;
                if (stop_at_duplicate)
                    return (struct csr_walk){CSR_DUPLICATE, i, k, j, i};
            }
            mark[j] = i;
        }
        previous = end;
    }
    return w;
}

/* Pointers in order within the data, columns in [0, d) and once a row
 * (`mark`: d scratch entries). */
static int check_csr(const struct arrays *a, Py_ssize_t n, Py_ssize_t d,
                     ptrdiff_t *mark)
{
    const Py_buffer *X = &a->view[A_X], *ind = &a->view[A_INDICES];
    const Py_buffer *ptr = &a->view[A_INDPTR];
    if (check_array(a, A_X, 1, 'f', 0, -1, -1, 'C') < 0
        || check_array(a, A_INDICES, 1, 'i', 0, X->shape[0], -1, 'C') < 0
        || check_array(a, A_INDPTR, 1, 'i', 0, n + 1, -1, 'C') < 0)
        return -1;
    if (a->held[A_OFFSET])
        return fail("offset must be None for CSR X (sparse epochs run "
                    "uncentered).");
    const struct csr_walk w = walk_csr(ind, ptr, n, X->shape[0], d, mark, 1);
    switch (w.problem) {
    case CSR_VALID:
        return 0;
    case CSR_BAD_POINTER:
        if (w.at == 0)
            return fail("indptr[0] = %zd is negative.", w.value);
        return fail("indptr[%zd] = %zd is out of order or past the "
                    "data (%zd entries).", w.at, w.value, X->shape[0]);
    case CSR_BAD_COLUMN:
        return fail("indices[%zd] = %zd is not a column in [0, %zd).", w.at,
                    w.value, d);
    default:
        return fail("row %zd has column %zd twice (sum duplicates first).",
                    w.row, w.value);
    }
}

/* Labels or order indices into `out`, each checked against `bound`. */
static int copy_indices(const struct arrays *a, int i, ptrdiff_t bound,
                        ptrdiff_t *out)
{
    const Py_buffer *v = &a->view[i];
    if (v->ndim != 1 || (kind_of(v) != 'i' && kind_of(v) != 'u'))
        return fail("%s must be a 1-D integer array.", array_names[i]);
    return copy_integers(v, array_names[i], "", bound, out);
}

/* Scratch for labels, order, last and cols (d each), then doubles: row
 * (3 d), g, delta and dir_b (C), cum (n_order + 1). */
static int alloc_scratch(struct sweep *s, struct arrays *a, Py_ssize_t n,
                         Py_ssize_t n_order, Py_ssize_t d, Py_ssize_t C)
{
    size_t bytes = (size_t)(n + n_order + 2 * d) * sizeof(ptrdiff_t)
                   + (size_t)(3 * d + 3 * C + n_order + 1) * sizeof(double);
    char *scratch = a->scratch = malloc(bytes + 1);
    if (scratch == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    s->y = (ptrdiff_t *)scratch;
    s->order = s->y + n;
    s->last = (ptrdiff_t *)s->order + n_order;
    s->cols = s->last + d;
    s->row = (double *)(s->cols + d);
    s->g = s->row + 3 * d;
    s->delta = s->g + C;
    s->dir_b = s->delta + C;
    s->cum = s->dir_b + C;
    return 0;
}

/* The checked arrays' data in s. */
static void fill_sweep(struct sweep *s, const struct arrays *a, int sparse)
{
    const Py_buffer *v = a->view;
    s->X = v[A_X].buf;
    s->x_item = v[A_X].itemsize;
    s->x_stride = sparse || v[A_X].shape[0] <= 1
                      ? 0 : v[A_X].strides[0] / v[A_X].itemsize;
    s->indices = sparse ? v[A_INDICES].buf : NULL;
    s->indptr = sparse ? v[A_INDPTR].buf : NULL;
    s->index_item = sparse ? v[A_INDICES].itemsize : 0;
    s->nnz = sparse ? v[A_X].shape[0] : 0;
    s->pointer_item = sparse ? v[A_INDPTR].itemsize : 0;
    s->factors = v[A_FACTORS].buf;
    s->scales = v[A_SCALES].buf;
    s->offset = a->held[A_OFFSET] ? v[A_OFFSET].buf : NULL;
    s->W = v[A_W].buf, s->b = v[A_B].buf, s->memory = v[A_MEMORY].buf;
    s->sum_W = v[A_SUM_W].buf, s->sum_b = v[A_SUM_B].buf;
}

/* Checks everything and fills in s; -1 with a ValueError set otherwise. */
static int prepare_sweep(struct sweep *s, struct arrays *a,
                         PyObject *const *objects)
{
    if (get_views(a, objects) < 0)
        return -1;
    const Py_buffer *v = a->view;
    const int sparse = a->held[A_INDPTR];
    /* CSR epochs keep W and sum_W column-major (see run_sweep) */
    const char order = sparse ? 'F' : 'C';
    if (check_array(a, A_W, 2, 'f', 8, -1, -1, order) < 0)
        return -1;
    const Py_ssize_t C = v[A_W].shape[0], d = v[A_W].shape[1];
    if (C < 1)
        return fail("W must have at least one row (class).");
    if (v[A_Y].ndim != 1)
        return fail("y must be 1-D, got %d-D.", v[A_Y].ndim);
    const Py_ssize_t n = v[A_Y].shape[0];
    const Py_ssize_t n_order = v[A_ORDER].ndim == 1 ? v[A_ORDER].shape[0] : 0;
    if (check_array(a, A_B, 1, 'f', 8, C, -1, 'C') < 0
        || check_array(a, A_MEMORY, 2, 'f', 8, n, C, 'C') < 0
        || check_array(a, A_SUM_W, 2, 'f', 8, C, d, order) < 0
        || check_array(a, A_SUM_B, 1, 'f', 8, C, -1, 'C') < 0
        || check_array(a, A_FACTORS, 1, 'f', 8, n, -1, 'C') < 0
        || check_array(a, A_SCALES, 1, 'f', 8, n, -1, 'C') < 0
        || (a->held[A_OFFSET] && check_array(a, A_OFFSET, 1, 'f', 8, d, -1, 'C') < 0))
        return -1;
    const double *scales = v[A_SCALES].buf;
    for (Py_ssize_t i = 0; i < n; i++)
        if (!(isfinite(scales[i]) && scales[i] > 0))
            return fail("scales[%zd] is not positive and finite.", i);
    if (alloc_scratch(s, a, n, n_order, d, C) < 0
        || (sparse ? check_csr(a, n, d, s->last) : check_dense_x(a, n, d)) < 0
        || copy_indices(a, A_Y, C, (ptrdiff_t *)s->y) < 0
        || copy_indices(a, A_ORDER, n, (ptrdiff_t *)s->order) < 0)
        return -1;
    for (int out = FIRST_OUTPUT; out < N_ARRAYS; out++)
        for (int i = 0; i < N_ARRAYS; i++)
            if (i != out && a->held[i] && overlap(&v[out], &v[i]))
                return fail("%s overlaps %s in memory.", array_names[out],
                            array_names[i]);
    fill_sweep(s, a, sparse);
    s->n = n, s->d = d, s->C = C, s->n_order = n_order;
    return 0;
}
