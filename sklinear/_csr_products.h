/* The CSR products of the certificate's checks, for _saga_sweep.c.
 *
 * A check of a sparse fit reads X twice: the scores X @ W^T (n x C) and the
 * dual point's sum A^T X (C x d). Both touch, for each stored value, the C
 * entries of a row of a d x C matrix (W^T, or the output) at a column
 * scattered over a matrix larger than the caches; scipy's loops wait on
 * each of those cache lines in turn. These ask for them PREFETCH_AHEAD
 * values ahead (_prefetch.h), as the sweeps do, and accumulate in float64
 * whatever X's float type. Two more read X once per solve: the class sums
 * sum_{y_i = k} a_i x_i (one multiply-add per stored value, where a one-hot
 * A would take C), and the rows' scaled squared norms and products with an
 * offset (the step sizes' curvature), without a copy of the data.
 *
 * The boundary: every array comes in through the buffer protocol, with
 * dtype, dimensions, shape, contiguity, alignment and writability checked,
 * and the output overlapping no input. The CSR structure is checked as it
 * is read: each row's pointers (read once) must lie in order within the
 * data, and each column index (read once) in [0, d), before it is used; a
 * bad row stops the product with a ValueError naming it. So no separate
 * pass over the indices is made, and a matrix that another thread changes
 * meanwhile cannot make the product read or write out of bounds. The
 * products run with the GIL released, on the threads the caller asks for
 * (started and joined within the call; run_threads): each output entry is
 * summed by one thread in the order of the stored values, so the result is
 * the same on any number of threads and any machine. A last function finds
 * a row that holds a column twice, which the SAGA sweep refuses and scipy's
 * canonical form sums (a CSR matrix with unsorted columns is read in place).
 */

enum { P_DATA, P_INDICES, P_INDPTR, P_DENSE, P_OUT, P_LABELS,
       N_PRODUCT_ARRAYS };

/* What a call computes; the shapes of dense and out follow from it. */
enum product_kind { SCORES, TRANSPOSED, CLASS_SUMS, ROW_NORMS };

struct csr_product {
    Py_buffer view[N_PRODUCT_ARRAYS];
    int held[N_PRODUCT_ARRAYS];
    const char *data, *indices, *indptr;
    Py_ssize_t data_item, index_item, pointer_item;
    const double *dense;
    double *out;
    const char *labels;
    Py_ssize_t label_item;
    Py_ssize_t n, d, C, nnz;
    Py_ssize_t bad_row;
    int bad_label; /* the bad row's label is out of range (class sums) */
};

static const char *const product_names[N_PRODUCT_ARRAYS] = {
    "data", "indices", "indptr", "dense", "out", "labels",
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

/* Checks the arrays of a product of `kind` and fills in p; -1 with a
 * ValueError set otherwise. Shapes (dense, out):
 *   SCORES      W^T (d, C), (n, C)
 *   TRANSPOSED  A (n, C), (d, C)
 *   CLASS_SUMS  weights (n, 1) with labels (n,), (C, d)
 *   ROW_NORMS   [scale, offset * scale] (d, 2), (n, 2) */
static int prepare_product(struct csr_product *p, PyObject *const *objects,
                           enum product_kind kind)
{
    if (product_view(p, objects[P_DATA], P_DATA, 1, 'f', 0) < 0
        || product_view(p, objects[P_INDICES], P_INDICES, 1, 'i', 0) < 0
        || product_view(p, objects[P_INDPTR], P_INDPTR, 1, 'i', 0) < 0
        || product_view(p, objects[P_DENSE], P_DENSE, 2, 'f', 8) < 0
        || product_view(p, objects[P_OUT], P_OUT, 2, 'f', 8) < 0
        || (kind == CLASS_SUMS
            && product_view(p, objects[P_LABELS], P_LABELS, 1, 'i', 0) < 0))
        return -1;
    const Py_buffer *v = p->view;
    p->nnz = v[P_DATA].shape[0];
    if (v[P_INDICES].shape[0] != p->nnz)
        return fail("indices has %zd entries, data %zd.",
                    v[P_INDICES].shape[0], p->nnz);
    if (v[P_INDPTR].shape[0] < 1)
        return fail("indptr must have n_samples + 1 entries, got 0.");
    p->n = v[P_INDPTR].shape[0] - 1;
    /* d and C from the array that carries them, then both shapes. */
    const Py_ssize_t *dense = v[P_DENSE].shape, *out = v[P_OUT].shape;
    Py_ssize_t want_dense[2], want_out[2];
    switch (kind) {
    case SCORES:
    case ROW_NORMS:
        p->d = dense[0], p->C = kind == SCORES ? dense[1] : 2;
        want_dense[0] = p->d, want_out[0] = p->n;
        want_dense[1] = want_out[1] = p->C;
        break;
    case TRANSPOSED:
        p->d = out[0], p->C = dense[1];
        want_dense[0] = p->n, want_out[0] = p->d;
        want_dense[1] = want_out[1] = p->C;
        break;
    default: /* CLASS_SUMS */
        p->C = out[0], p->d = out[1];
        want_dense[0] = p->n, want_dense[1] = 1;
        want_out[0] = p->C, want_out[1] = p->d;
    }
    if (dense[0] != want_dense[0] || dense[1] != want_dense[1])
        return fail("dense has shape (%zd, %zd), expected (%zd, %zd).",
                    dense[0], dense[1], want_dense[0], want_dense[1]);
    if (out[0] != want_out[0] || out[1] != want_out[1])
        return fail("out has shape (%zd, %zd), expected (%zd, %zd).", out[0],
                    out[1], want_out[0], want_out[1]);
    if (kind == CLASS_SUMS && v[P_LABELS].shape[0] != p->n)
        return fail("labels has %zd entries, expected %zd.",
                    v[P_LABELS].shape[0], p->n);
    for (int i = 0; i < N_PRODUCT_ARRAYS; i++)
        if (i != P_OUT && p->held[i] && overlap(&v[P_OUT], &v[i]))
            return fail("out overlaps %s in memory.", product_names[i]);
    p->data = v[P_DATA].buf, p->data_item = v[P_DATA].itemsize;
    p->indices = v[P_INDICES].buf, p->index_item = v[P_INDICES].itemsize;
    p->indptr = v[P_INDPTR].buf, p->pointer_item = v[P_INDPTR].itemsize;
    p->dense = v[P_DENSE].buf;
    p->out = v[P_OUT].buf;
    if (kind == CLASS_SUMS)
        p->labels = v[P_LABELS].buf, p->label_item = v[P_LABELS].itemsize;
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

/* A share of a product's work: rows [lo, hi) (scores, row norms) or
 * features [lo, hi) (the transposed product), with what went wrong. */
struct product_task {
    struct csr_product *p;
    enum product_kind kind;
    Py_ssize_t lo, hi;
    int status;
    Py_ssize_t bad_row;
};

/* out[i] = sum_k data[k] W^T[indices[k]] over row i's values. */
static int run_scores(struct product_task *t)
{
    const struct csr_product *p = t->p;
    const Py_ssize_t C = p->C;
    for (Py_ssize_t i = t->lo; i < t->hi; i++) {
        ptrdiff_t first, end;
        double *row = p->out + i * C;
        for (Py_ssize_t c = 0; c < C; c++)
            row[c] = 0.0;
        if (!row_span(p, i, &first, &end))
            return t->bad_row = i, -1;
        for (ptrdiff_t k = first; k < end; k++) {
            if (k + PREFETCH_AHEAD < end)
                prefetch_matrix_row(
                    p->dense, C,
                    int_value(p->indices, p->index_item, k + PREFETCH_AHEAD));
            const ptrdiff_t j = int_value(p->indices, p->index_item, k);
            if (j < 0 || j >= p->d)
                return t->bad_row = i, -1;
            const double value = data_value(p, k);
            const double *w = p->dense + j * C;
            for (Py_ssize_t c = 0; c < C; c++)
                row[c] += value * w[c];
        }
    }
    return 0;
}

/* out[j] = sum over the values (i, j) of data[k] A[i], rows in order, for
 * the features j of the task: each task reads every row (and checks it)
 * and keeps the values of its features, so every entry is summed in the
 * same order whatever the number of tasks. */
static int run_transposed(struct product_task *t)
{
    const struct csr_product *p = t->p;
    const Py_ssize_t C = p->C, lo = t->lo, hi = t->hi;
    memset(p->out + lo * C, 0, (size_t)(hi - lo) * (size_t)C * sizeof(double));
    for (Py_ssize_t i = 0; i < p->n; i++) {
        ptrdiff_t first, end;
        if (!row_span(p, i, &first, &end))
            return t->bad_row = i, -1;
        const double *a = p->dense + i * C;
        for (ptrdiff_t k = first; k < end; k++) {
            if (k + PREFETCH_AHEAD < end) {
                const ptrdiff_t ahead =
                    int_value(p->indices, p->index_item, k + PREFETCH_AHEAD);
                if (ahead >= lo && ahead < hi)
                    prefetch_matrix_row(p->out, C, ahead);
            }
            const ptrdiff_t j = int_value(p->indices, p->index_item, k);
            if (j < 0 || j >= p->d)
                return t->bad_row = i, -1;
            if (j < lo || j >= hi)
                continue;
            const double value = data_value(p, k);
            double *z = p->out + j * C;
            for (Py_ssize_t c = 0; c < C; c++)
                z[c] += value * a[c];
        }
    }
    return 0;
}

/* out[y_i] = sum of a_i x_i (a = dense's column, y = labels), the rows of
 * each class in their order: the rows are visited class by class (a
 * counting sort of the labels, read once into scratch and checked in
 * [0, C)), so the writes stay within one class's row of out (d doubles, in
 * the caches) rather than scatter over all C (at 80,000 x 100,000 x 20: 0.08
 * s in the rows' order, a cache miss a stored value). -2: out of memory. */
static int run_class_sums(struct product_task *t)
{
    struct csr_product *p = t->p;
    const Py_ssize_t C = p->C, n = p->n;
    ptrdiff_t *start = calloc((size_t)C + 1, sizeof(ptrdiff_t));
    ptrdiff_t *labels = malloc(((size_t)n + 1) * sizeof(ptrdiff_t));
    ptrdiff_t *order = malloc(((size_t)n + 1) * sizeof(ptrdiff_t));
    int status = 0;
    if (start == NULL || labels == NULL || order == NULL) {
        status = -2;
        goto done;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        labels[i] = int_value(p->labels, p->label_item, i);
        if (labels[i] < 0 || labels[i] >= C) {
            t->bad_row = i, p->bad_label = 1, status = -1;
            goto done;
        }
        start[labels[i] + 1]++;
    }
    for (Py_ssize_t c = 0; c < C; c++)
        start[c + 1] += start[c];
    for (Py_ssize_t i = 0; i < n; i++) /* every entry set once */
        order[start[labels[i]]++] = i;
    memset(p->out, 0, (size_t)p->d * (size_t)C * sizeof(double));
    for (Py_ssize_t visit = 0; visit < n; visit++) {
        const Py_ssize_t i = order[visit];
        ptrdiff_t first, end;
        if (!row_span(p, i, &first, &end)) {
            t->bad_row = i, status = -1;
            goto done;
        }
        double *sums = p->out + labels[i] * p->d;
        const double weight = p->dense[i];
        for (ptrdiff_t k = first; k < end; k++) {
            const ptrdiff_t j = int_value(p->indices, p->index_item, k);
            if (j < 0 || j >= p->d) {
                t->bad_row = i, status = -1;
                goto done;
            }
            sums[j] += weight * data_value(p, k);
        }
    }
done:
    free(start);
    free(labels);
    free(order);
    return status;
}

/* out[i] = (sum_k (s_j x_k)^2, sum_k (s_j x_k) o_j) over row i's values
 * (x_k at column j), with s and o dense's two columns. */
static int run_row_norms(struct product_task *t)
{
    const struct csr_product *p = t->p;
    for (Py_ssize_t i = t->lo; i < t->hi; i++) {
        ptrdiff_t first, end;
        if (!row_span(p, i, &first, &end))
            return t->bad_row = i, -1;
        double squares = 0.0, cross = 0.0;
        for (ptrdiff_t k = first; k < end; k++) {
            const ptrdiff_t j = int_value(p->indices, p->index_item, k);
            if (j < 0 || j >= p->d)
                return t->bad_row = i, -1;
            const double scaled = p->dense[2 * j] * data_value(p, k);
            squares += scaled * scaled;
            cross += scaled * p->dense[2 * j + 1];
        }
        p->out[2 * i] = squares;
        p->out[2 * i + 1] = cross;
    }
    return 0;
}

static void *run_task(void *argument)
{
    struct product_task *t = argument;
    switch (t->kind) {
    case SCORES:
        t->status = run_scores(t);
        break;
    case TRANSPOSED:
        t->status = run_transposed(t);
        break;
    case CLASS_SUMS:
        t->status = run_class_sums(t);
        break;
    default:
        t->status = run_row_norms(t);
    }
    return NULL;
}

/* The most threads a product takes (the caller asks for fewer). */
#define MAX_PRODUCT_THREADS 64

/* The product on `n_threads` threads: the calling one and helpers started
 * for this call and joined before it returns (none kept, so fork is safe;
 * a helper that cannot start has its share run here). Scores and row norms
 * split the rows, the transposed product the features, the class sums run
 * on one thread: each output entry is computed by one thread in the same
 * order as on one, so the result does not depend on the thread count. On
 * failure p->bad_row is the first bad row any share found. */
static int run_threads(struct csr_product *p, enum product_kind kind,
                       int n_threads)
{
    struct product_task tasks[MAX_PRODUCT_THREADS];
    pthread_t helpers[MAX_PRODUCT_THREADS];
    int started[MAX_PRODUCT_THREADS] = {0};
    const Py_ssize_t span = kind == TRANSPOSED ? p->d : p->n;
    if (kind == CLASS_SUMS) /* run_product checked n_threads' range */
        n_threads = 1;
    if (n_threads > span)
        n_threads = span > 0 ? (int)span : 1;
    for (int k = 0; k < n_threads; k++) {
        tasks[k] = (struct product_task){
            .p = p, .kind = kind, .bad_row = -1,
            .lo = span * k / n_threads, .hi = span * (k + 1) / n_threads,
        };
    }
    for (int k = 1; k < n_threads; k++)
        started[k] =
            pthread_create(&helpers[k], NULL, run_task, &tasks[k]) == 0;
    run_task(&tasks[0]);
    for (int k = 1; k < n_threads; k++) {
        if (started[k])
            pthread_join(helpers[k], NULL);
        else
            run_task(&tasks[k]);
    }
    int status = 0;
    for (int k = 0; k < n_threads; k++) {
        const struct product_task *t = &tasks[k];
        if (t->status == -2) /* out of memory (the class sums' one task) */
            return -2;
        if (t->status < 0 && (status == 0 || t->bad_row < p->bad_row))
            status = -1, p->bad_row = t->bad_row;
    }
    return status;
}

static PyObject *run_product(PyObject *args, const char *format,
                             enum product_kind kind)
{
    PyObject *objects[N_PRODUCT_ARRAYS] = {NULL};
    struct csr_product p = {0};
    int n_threads = 1;
    const int parsed =
        kind == CLASS_SUMS
            ? PyArg_ParseTuple(args, format, &objects[P_DATA],
                               &objects[P_INDICES], &objects[P_INDPTR],
                               &objects[P_LABELS], &objects[P_DENSE],
                               &objects[P_OUT])
            : PyArg_ParseTuple(args, format, &objects[P_DATA],
                               &objects[P_INDICES], &objects[P_INDPTR],
                               &objects[P_DENSE], &objects[P_OUT],
                               &n_threads);
    if (!parsed)
        return NULL;
    if (n_threads < 1 || n_threads > MAX_PRODUCT_THREADS)
        return PyErr_Format(PyExc_ValueError,
                            "n_threads must be in [1, %d], got %d.",
                            MAX_PRODUCT_THREADS, n_threads);
    if (prepare_product(&p, objects, kind) < 0) {
        release_product(&p);
        return NULL;
    }
    int status;
    Py_BEGIN_ALLOW_THREADS
    status = run_threads(&p, kind, n_threads);
    Py_END_ALLOW_THREADS
    release_product(&p);
    if (status == -2)
        return PyErr_NoMemory();
    if (status < 0 && p.bad_label)
        return PyErr_Format(PyExc_ValueError,
                            "labels[%zd] is not a class in [0, %zd).",
                            p.bad_row, p.C);
    if (status < 0)
        return PyErr_Format(PyExc_ValueError,
                            "CSR row %zd is not valid: its pointers are out "
                            "of order or past the data, or a column index "
                            "is not in [0, %zd).",
                            p.bad_row, p.d);
    Py_RETURN_NONE;
}

PyDoc_STRVAR(csr_scores_doc,
"csr_scores(data, indices, indptr, W_T, out, n_threads=1)\n"
"--\n\n"
"out = X @ W_T for the CSR matrix X of (data, indices, indptr), in float64:\n"
"data float32 or float64, indices and indptr int32 or int64, W_T (n_features,\n"
"n_classes) float64, out (n_samples, n_classes) float64 and writable, all\n"
"C-contiguous, on n_threads threads (in [1, 64]; the result does not\n"
"depend on it). Raises ValueError for anything else, or for a row whose\n"
"pointers or columns are not valid.");

static PyObject *py_csr_scores(PyObject *self, PyObject *args)
{
    (void)self;
    return run_product(args, "OOOOO|i:csr_scores", SCORES);
}

PyDoc_STRVAR(csr_transposed_product_doc,
"csr_transposed_product(data, indices, indptr, A, out, n_threads=1)\n"
"--\n\n"
"out = X^T @ A for the CSR matrix X of (data, indices, indptr), in float64:\n"
"A (n_samples, n_columns) float64, out (n_features, n_columns) float64 and\n"
"writable (overwritten), the rest as for csr_scores.");

static PyObject *py_csr_transposed_product(PyObject *self, PyObject *args)
{
    (void)self;
    return run_product(args, "OOOOO|i:csr_transposed_product", TRANSPOSED);
}

PyDoc_STRVAR(csr_class_sums_doc,
"csr_class_sums(data, indices, indptr, labels, a, out)\n"
"--\n\n"
"out[k] = sum over the rows i with labels[i] = k of a[i, 0] x_i, for the\n"
"CSR matrix X of (data, indices, indptr), in float64: labels (n_samples,)\n"
"int32 or int64, each in [0, n_classes), a (n_samples, 1) float64, out\n"
"(n_classes, n_features) float64 and writable (overwritten), the rest as\n"
"for csr_scores. Each sum adds its rows in their order.");

static PyObject *py_csr_class_sums(PyObject *self, PyObject *args)
{
    (void)self;
    return run_product(args, "OOOOOO:csr_class_sums", CLASS_SUMS);
}

PyDoc_STRVAR(csr_row_norms_doc,
"csr_row_norms(data, indices, indptr, scales, out, n_threads=1)\n"
"--\n\n"
"For each row x_i of the CSR matrix X of (data, indices, indptr), with\n"
"s = scales[:, 0] and o = scales[:, 1] (n_features, 2) float64: out[i, 0] =\n"
"|s * x_i|^2 and out[i, 1] = (s * x_i) . o, into out (n_samples, 2) float64\n"
"and writable, the rest as for csr_scores.");

static PyObject *py_csr_row_norms(PyObject *self, PyObject *args)
{
    (void)self;
    return run_product(args, "OOOOO|i:csr_row_norms", ROW_NORMS);
}

/* The first row of the CSR structure (indices, indptr) that holds a column
 * twice, or -1; -2 for a row whose pointers or columns are not valid (in
 * *bad_row; every row is checked, walk_csr), -3 out of memory. */
static Py_ssize_t first_duplicate_row(const Py_buffer *indices,
                                      const Py_buffer *indptr, Py_ssize_t d,
                                      Py_ssize_t *bad_row)
{
    ptrdiff_t *mark = malloc(((size_t)d + 1) * sizeof(ptrdiff_t));
    if (mark == NULL)
        return -3;
    const struct csr_walk w = walk_csr(indices, indptr, indptr->shape[0] - 1,
                                       indices->shape[0], d, mark, 0);
    free(mark);
    if (w.problem != CSR_VALID) {
        *bad_row = w.row;
        return -2;
    }
    return w.first_duplicate;
}

PyDoc_STRVAR(csr_duplicate_row_doc,
"csr_duplicate_row(indices, indptr, n_features)\n"
"--\n\n"
"The first row of the CSR structure (indices, indptr) that holds a column\n"
"twice, or -1 if none does: indices and indptr C-contiguous int32 or int64.\n"
"Raises ValueError for anything else, or for a row whose pointers or\n"
"columns are not valid.");

static PyObject *py_csr_duplicate_row(PyObject *self, PyObject *args)
{
    (void)self;
    PyObject *objects[N_PRODUCT_ARRAYS] = {NULL};
    struct csr_product p = {0};
    Py_ssize_t d, bad_row = -1;
    if (!PyArg_ParseTuple(args, "OOn:csr_duplicate_row", &objects[P_INDICES],
                          &objects[P_INDPTR], &d))
        return NULL;
    if (d < 0)
        return PyErr_Format(PyExc_ValueError,
                            "n_features must be non-negative, got %zd.", d);
    if (product_view(&p, objects[P_INDICES], P_INDICES, 1, 'i', 0) < 0
        || product_view(&p, objects[P_INDPTR], P_INDPTR, 1, 'i', 0) < 0) {
        release_product(&p);
        return NULL;
    }
    if (p.view[P_INDPTR].shape[0] < 1) {
        release_product(&p);
        return PyErr_Format(PyExc_ValueError,
                            "indptr must have n_samples + 1 entries, got 0.");
    }
    Py_ssize_t found;
    Py_BEGIN_ALLOW_THREADS
    found = first_duplicate_row(&p.view[P_INDICES], &p.view[P_INDPTR], d,
                                &bad_row);
    Py_END_ALLOW_THREADS
    release_product(&p);
    if (found == -3)
        return PyErr_NoMemory();
    if (found == -2)
        return PyErr_Format(PyExc_ValueError,
                            "CSR row %zd is not valid: its pointers are out "
                            "of order or past the data, or a column index "
                            "is not in [0, %zd).",
                            bad_row, d);
    return PyLong_FromSsize_t(found);
}
