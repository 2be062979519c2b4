/* The two CSR products of the certificate's checks, for _saga_sweep.c.
 *
 * A check of a sparse fit reads X twice: the scores X @ W^T (n x C) and the
 * dual point's sum A^T X (C x d). Both touch, for each stored value, the C
 * entries of a row of a d x C matrix (W^T, or the output) at a column
 * scattered over a matrix larger than the caches; scipy's loops wait on
 * each of those cache lines in turn. These ask for them PREFETCH_AHEAD
 * values ahead (_prefetch.h), as the sweeps do, and accumulate in float64
 * whatever X's float type.
 *
 * The boundary: every array comes in through the buffer protocol, with
 * dtype, dimensions, shape, contiguity, alignment and writability checked,
 * and the output overlapping no input. The CSR structure is checked as it
 * is read: each row's pointers (read once) must lie in order within the
 * data, and each column index (read once) in [0, d), before it is used; a
 * bad row stops the product with a ValueError naming it. So no separate
 * pass over the indices is made, and a matrix that another thread changes
 * meanwhile cannot make the product read or write out of bounds. The
 * products run with the GIL released, single-threaded: each output entry
 * is summed in the order of the stored values, whatever the machine.
 */

enum { P_DATA, P_INDICES, P_INDPTR, P_DENSE, P_OUT, N_PRODUCT_ARRAYS };

struct csr_product {
    Py_buffer view[N_PRODUCT_ARRAYS];
    int held[N_PRODUCT_ARRAYS];
    const char *data, *indices, *indptr;
    Py_ssize_t data_item, index_item, pointer_item;
    const double *dense;
    double *out;
    Py_ssize_t n, d, C, nnz;
    Py_ssize_t bad_row;
};

static const char *const product_names[N_PRODUCT_ARRAYS] = {
    "data", "indices", "indptr", "dense", "out",
};

/* One buffer, of `ndim` dimensions and element `kind` (itemsize 0: 4 or 8),
 * C-contiguous and aligned. */
static int product_view(struct csr_product *p, PyObject *object, int i,
                        int ndim, char kind, Py_ssize_t itemsize)
{
    Py_buffer *v = &p->view[i];
    const char *name = product_names[i];
    if (get_buffer(object, v, &p->held[i], name, i == P_OUT) < 0
        || check_dimensions_and_kind(v, name, ndim, kind, itemsize) < 0)
        return -1;
    if (!aligned(v) || !PyBuffer_IsContiguous(v, 'C'))
        return fail("%s must be C-contiguous and aligned.", name);
    return 0;
}

static void release_product(struct csr_product *p)
{
    release_views(p->view, p->held, N_PRODUCT_ARRAYS);
}

/* Checks the arrays of a product whose dense operand has `dense_rows` rows
 * (d for the scores, n for the transposed product) and whose output has
 * `out_rows` (n, or d); fills in p. -1 with a ValueError set otherwise. */
static int prepare_product(struct csr_product *p, PyObject *const *objects,
                           int scores)
{
    if (product_view(p, objects[P_DATA], P_DATA, 1, 'f', 0) < 0
        || product_view(p, objects[P_INDICES], P_INDICES, 1, 'i', 0) < 0
        || product_view(p, objects[P_INDPTR], P_INDPTR, 1, 'i', 0) < 0
        || product_view(p, objects[P_DENSE], P_DENSE, 2, 'f', 8) < 0
        || product_view(p, objects[P_OUT], P_OUT, 2, 'f', 8) < 0)
        return -1;
    const Py_buffer *v = p->view;
    p->nnz = v[P_DATA].shape[0];
    if (v[P_INDICES].shape[0] != p->nnz)
        return fail("indices has %zd entries, data %zd.",
                    v[P_INDICES].shape[0], p->nnz);
    if (v[P_INDPTR].shape[0] < 1)
        return fail("indptr must have n_samples + 1 entries, got 0.");
    p->n = v[P_INDPTR].shape[0] - 1;
    p->C = v[P_DENSE].shape[1];
    /* scores: dense is W^T (d, C), out (n, C); else dense is A (n, C),
     * out (d, C) */
    p->d = scores ? v[P_DENSE].shape[0] : v[P_OUT].shape[0];
    const Py_ssize_t dense_rows = scores ? p->d : p->n;
    const Py_ssize_t out_rows = scores ? p->n : p->d;
    if (v[P_DENSE].shape[0] != dense_rows)
        return fail("dense has %zd rows, expected %zd.", v[P_DENSE].shape[0],
                    dense_rows);
    if (v[P_OUT].shape[0] != out_rows || v[P_OUT].shape[1] != p->C)
        return fail("out has shape (%zd, %zd), expected (%zd, %zd).",
                    v[P_OUT].shape[0], v[P_OUT].shape[1], out_rows, p->C);
    for (int i = 0; i < P_OUT; i++)
        if (overlap(&v[P_OUT], &v[i]))
            return fail("out overlaps %s in memory.", product_names[i]);
    p->data = v[P_DATA].buf, p->data_item = v[P_DATA].itemsize;
    p->indices = v[P_INDICES].buf, p->index_item = v[P_INDICES].itemsize;
    p->indptr = v[P_INDPTR].buf, p->pointer_item = v[P_INDPTR].itemsize;
    p->dense = v[P_DENSE].buf;
    p->out = v[P_OUT].buf;
    return 0;
}

static inline double data_value(const struct csr_product *p, ptrdiff_t k)
{
    return p->data_item == 4 ? (double)((const float *)p->data)[k]
                             : ((const double *)p->data)[k];
}

/* Row i's stored values [*first, *end), read once and checked. */
static inline int row_span(const struct csr_product *p, Py_ssize_t i,
                           ptrdiff_t *first, ptrdiff_t *end)
{
    *first = int_value(p->indptr, p->pointer_item, i);
    *end = int_value(p->indptr, p->pointer_item, i + 1);
    return 0 <= *first && *first <= *end && *end <= p->nnz;
}

/* The C doubles of row j of a d x C matrix, ahead of their use. */
static inline void prefetch_matrix_row(const double *matrix, Py_ssize_t C,
                                       ptrdiff_t j)
{
    prefetch_span((uintptr_t)matrix + (uintptr_t)j * (uintptr_t)C
                                          * sizeof(double), C);
}

/* out[i] = sum_k data[k] W^T[indices[k]] over row i's values. */
static int run_scores(struct csr_product *p)
{
    const Py_ssize_t C = p->C;
    for (Py_ssize_t i = 0; i < p->n; i++) {
        ptrdiff_t first, end;
        double *row = p->out + i * C;
        for (Py_ssize_t c = 0; c < C; c++)
            row[c] = 0.0;
        if (!row_span(p, i, &first, &end))
            return p->bad_row = i, -1;
        for (ptrdiff_t k = first; k < end; k++) {
            if (k + PREFETCH_AHEAD < end)
                prefetch_matrix_row(
                    p->dense, C,
                    int_value(p->indices, p->index_item, k + PREFETCH_AHEAD));
            const ptrdiff_t j = int_value(p->indices, p->index_item, k);
            if (j < 0 || j >= p->d)
                return p->bad_row = i, -1;
            const double value = data_value(p, k);
            const double *w = p->dense + j * C;
            for (Py_ssize_t c = 0; c < C; c++)
                row[c] += value * w[c];
        }
    }
    return 0;
}

/* out[j] = sum over the values (i, j) of data[k] A[i], rows in order. */
static int run_transposed(struct csr_product *p)
{
    const Py_ssize_t C = p->C;
    memset(p->out, 0, (size_t)p->d * (size_t)C * sizeof(double));
    for (Py_ssize_t i = 0; i < p->n; i++) {
        ptrdiff_t first, end;
        if (!row_span(p, i, &first, &end))
            return p->bad_row = i, -1;
        const double *a = p->dense + i * C;
        for (ptrdiff_t k = first; k < end; k++) {
            if (k + PREFETCH_AHEAD < end)
                prefetch_matrix_row(
                    p->out, C,
                    int_value(p->indices, p->index_item, k + PREFETCH_AHEAD));
            const ptrdiff_t j = int_value(p->indices, p->index_item, k);
            if (j < 0 || j >= p->d)
                return p->bad_row = i, -1;
            const double value = data_value(p, k);
            double *z = p->out + j * C;
            for (Py_ssize_t c = 0; c < C; c++)
                z[c] += value * a[c];
        }
    }
    return 0;
}

static PyObject *run_product(PyObject *args, const char *format, int scores)
{
    PyObject *objects[N_PRODUCT_ARRAYS];
    struct csr_product p = {0};
    if (!PyArg_ParseTuple(args, format, &objects[P_DATA], &objects[P_INDICES],
                          &objects[P_INDPTR], &objects[P_DENSE],
                          &objects[P_OUT]))
        return NULL;
    if (prepare_product(&p, objects, scores) < 0) {
        release_product(&p);
        return NULL;
    }
    int status;
    Py_BEGIN_ALLOW_THREADS
    status = scores ? run_scores(&p) : run_transposed(&p);
    Py_END_ALLOW_THREADS
    release_product(&p);
    if (status < 0)
        return PyErr_Format(PyExc_ValueError,
                            "CSR row %zd is not valid: its pointers are out "
                            "of order or past the data, or a column index "
                            "is not in [0, %zd).",
                            p.bad_row, p.d);
    Py_RETURN_NONE;
}

PyDoc_STRVAR(csr_scores_doc,
"csr_scores(data, indices, indptr, W_T, out)\n"
"--\n\n"
"out = X @ W_T for the CSR matrix X of (data, indices, indptr), in float64:\n"
"data float32 or float64, indices and indptr int32 or int64, W_T (n_features,\n"
"n_classes) float64, out (n_samples, n_classes) float64 and writable, all\n"
"C-contiguous. Raises ValueError for anything else, or for a row whose\n"
"pointers or columns are not valid.");

static PyObject *py_csr_scores(PyObject *self, PyObject *args)
{
    (void)self;
    return run_product(args, "OOOOO:csr_scores", 1);
}

PyDoc_STRVAR(csr_transposed_product_doc,
"csr_transposed_product(data, indices, indptr, A, out)\n"
"--\n\n"
"out = X^T @ A for the CSR matrix X of (data, indices, indptr), in float64:\n"
"A (n_samples, n_columns) float64, out (n_features, n_columns) float64 and\n"
"writable (overwritten), the rest as for csr_scores.");

static PyObject *py_csr_transposed_product(PyObject *self, PyObject *args)
{
    (void)self;
    return run_product(args, "OOOOO:csr_transposed_product", 0);
}
