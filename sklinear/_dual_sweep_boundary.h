/* The Python functions of _dual_sweep.c (included once, at its end): the
 * checks of _dual_sweep_check.h in order, the scratch, U transposed into it
 * and back, and the sweep with the GIL released.
 */

enum {
    V_X, V_INDICES, V_INDPTR, V_Y, V_ORDER, V_FACTORS, V_CURVATURE, V_A, V_U,
    V_RESIDUAL, V_MULTIPLIER, V_OFFSET, V_SLACK, N_VIEWS
};
static const char *const view_names[N_VIEWS] = {
    "X", "indices", "indptr", "y", "order", "factors", "curvature", "a", "U",
    "residual", "multiplier", "offset", "slack",
};
static const int view_ndim[N_VIEWS] = {2, 1, 1, 1, 1, 1, 1, 2, 2, 1, 1, 1, 1};

struct call {
    Py_buffer view[N_VIEWS];
    int held[N_VIEWS];
    struct sweep w;
};

static void release_call(struct call *c)
{
    release_views(c->view, c->held, N_VIEWS);
    free(c->w.Ut), free(c->w.row), free(c->w.scores), free(c->w.change);
    free(c->w.targets), free(c->w.p), free(c->w.columns), free(c->w.labels);
    free(c->w.norm_sq), free(c->w.dots);
    free((void *)c->w.order), free(c->w.events);
    free(c);
}

/* Views of the given objects (NULL: not passed; offset may be None). */
static int get_views(struct call *c, PyObject *const *objects, int csr)
{
    for (int v = 0; v < N_VIEWS; v++) {
        if (objects[v] == NULL
            || ((v == V_OFFSET || v == V_SLACK) && objects[v] == Py_None))
            continue;
        const int writable = v == V_A || v == V_U || v == V_RESIDUAL
                             || v == V_SLACK || v == V_MULTIPLIER;
        const int ndim = v == V_X && csr ? 1 : view_ndim[v];
        if (get_view(objects[v], &c->view[v], &c->held[v], view_names[v], ndim,
                     writable) < 0)
            return -1;
    }
    return 0;
}

/* X's layout against n samples and F features. */
static int check_X(struct call *c, int csr, Py_ssize_t n, Py_ssize_t F)
{
    const Py_buffer *X = &c->view[V_X];
    if (kind_of(X) != 'f' || !aligned(X))
        return fail("X must be aligned float32 or float64 in native byte "
                    "order, got format '%s'.", X->format ? X->format : "B");
    if (!csr) {
        if (X->shape[0] != n || X->shape[1] != F)
            return fail("X is %zd x %zd, expected %zd x %zd.", X->shape[0],
                        X->shape[1], n, F);
        if ((n > 1 && X->strides[0] % X->itemsize != 0)
            || (F > 1 && X->strides[1] != X->itemsize))
            return fail("X's rows must be contiguous, a whole number of "
                        "elements apart.");
        return 0;
    }
    const Py_buffer *indices = &c->view[V_INDICES], *indptr = &c->view[V_INDPTR];
    if (!PyBuffer_IsContiguous(X, 'C'))
        return fail("data must be contiguous.");
    if (check_index_array(indices, "indices") < 0
        || check_index_array(indptr, "indptr") < 0)
        return -1;
    if (indices->shape[0] != X->shape[0])
        return fail("indices has %zd entries, data %zd.", indices->shape[0],
                    X->shape[0]);
    if (indptr->shape[0] != n + 1)
        return fail("indptr has %zd entries, expected %zd.", indptr->shape[0],
                    n + 1);
    return check_csr(indices, indptr, F);
}

/* Shapes, dtypes, layouts and overlap; sets n, C and F. */
static int check_layout(struct call *c, int csr, Py_ssize_t *n, Py_ssize_t *C,
                        Py_ssize_t *F)
{
    const Py_buffer *v = c->view;
    if (check_float64(&v[V_U], "U", -1, -1) < 0)
        return -1;
    *C = v[V_U].shape[0], *F = v[V_U].shape[1], *n = v[V_Y].shape[0];
    if (*C < 1 || *C > MAX_CLASSES)
        return fail("U must have 1 to %d rows (classes), got %zd.", MAX_CLASSES,
                    *C);
    if (*F > PTRDIFF_MAX / 16 / *C)
        return fail("U is too large (%zd x %zd).", *C, *F);
    if (check_X(c, csr, *n, *F) < 0
        || check_float64(&v[V_FACTORS], "factors", *n, -1) < 0
        || check_float64(&v[V_CURVATURE], "curvature", *n, -1) < 0
        || check_float64(&v[V_A], "a", *n, *C) < 0
        || check_float64(&v[V_RESIDUAL], "residual", *C, -1) < 0
        || check_float64(&v[V_MULTIPLIER], "multiplier", *C, -1) < 0
        || (c->held[V_OFFSET]
            && check_float64(&v[V_OFFSET], "offset", *F, -1) < 0)
        || (c->held[V_SLACK]
            && check_float64(&v[V_SLACK], "slack", *n, -1) < 0))
        return -1;
    const int outputs[5] = {V_A, V_U, V_RESIDUAL, V_SLACK, V_MULTIPLIER};
    for (int o = 0; o < 5; o++)
        for (int i = 0; i < N_VIEWS; i++)
            if (i != outputs[o] && c->held[i] && c->held[outputs[o]]
                && overlap(&v[outputs[o]], &v[i]))
                return fail("%s overlaps %s in memory.",
                            view_names[outputs[o]], view_names[i]);
    return 0;
}

/* The longest CSR row (the row scratch's length). */
static ptrdiff_t longest_row(const Py_buffer *indptr)
{
    const int wide = indptr->itemsize == 8;
    ptrdiff_t longest = 1;
    for (Py_ssize_t i = 0; i + 1 < indptr->shape[0]; i++) {
        const int64_t length = index_at(indptr->buf, wide, i + 1)
                               - index_at(indptr->buf, wide, i);
        longest = length > longest ? (ptrdiff_t)length : longest;
    }
    return longest;
}

static int allocate(struct sweep *w, ptrdiff_t n, ptrdiff_t m)
{
    const size_t C = (size_t)w->n_classes, F = (size_t)w->n_features;
    const size_t row = (size_t)w->row_capacity;
    /* Dense rows work on U in place: the transposed copy is for CSR. */
    w->Ut = malloc((!w->dense ? F * C : 1) * sizeof(double) + 1);
    w->dots = malloc(C * sizeof(double));
    w->row = malloc(row * sizeof(double));
    w->columns = malloc(row * sizeof(ptrdiff_t));
    w->scores = malloc(C * sizeof(double));
    w->change = malloc(C * sizeof(double));
    w->targets = malloc(C * sizeof(double));
    w->p = calloc(C, sizeof(double));
    w->norm_sq = calloc(C, sizeof(double));
    w->events = malloc(2 * C * sizeof(struct event));
    w->labels = malloc((size_t)n * sizeof(ptrdiff_t) + 1);
    w->order = malloc((size_t)m * sizeof(ptrdiff_t) + 1);
    if (!w->Ut || !w->row || !w->columns || !w->scores || !w->change
        || !w->targets || !w->p || !w->norm_sq || !w->dots || !w->events
        || !w->labels || !w->order) {
        PyErr_NoMemory();
        return -1;
    }
    return 0;
}

/* Labels, order, factors, curvatures, duals, vectors and scalars. */
static int check_values(struct call *c, const double *scalars)
{
    const Py_buffer *v = c->view;
    struct sweep *w = &c->w;
    const ptrdiff_t n = w->n_samples, C = w->n_classes, F = w->n_features;
    const char *names[5] = {"l1", "l2", "rho", "margin", "max_norm"};
    for (int s = 0; s < 5; s++)
        if (!isfinite(scalars[s]) || (s != 3 && scalars[s] < 0)
            || (s == 1 && scalars[s] == 0))
            return fail("%s = %g must be finite%s.", names[s], scalars[s],
                        s == 1 ? " and > 0" : s != 3 ? " and >= 0" : "");
    if (w->split && (scalars[0] > 0 || scalars[4] > 0))
        return fail("The elastic net and max_norm need dense X or no offset: "
                    "a sparse centered X takes the L2 penalty only.");
    if (copy_integers(&v[V_Y], "y", "", C, w->labels) < 0
        || copy_integers(&v[V_ORDER], "order", "", n, (ptrdiff_t *)w->order) < 0
        || check_non_negative(w->factors, n, "factors") < 0
        || check_non_negative(w->curvature, n, "curvature") < 0
        || check_duals(w->a, w->labels, n, C) < 0
        || check_finite(w->residual, C, "residual") < 0
        || check_finite(w->multiplier, C, "multiplier") < 0
        || check_finite(w->U, C * F, "U") < 0
        || (w->offset && check_finite(w->offset, F, "offset") < 0))
        return -1;
    w->l1 = scalars[0], w->l2 = scalars[1], w->rho = scalars[2];
    w->margin = scalars[3], w->max_norm = scalars[4];
    return 0;
}

/* The sweep's view of the checked arrays, and its scratch. */
static int prepare(struct call *c, int csr, const double *scalars)
{
    Py_ssize_t n, C, F;
    const Py_buffer *v = c->view;
    struct sweep *w = &c->w;
    if (check_layout(c, csr, &n, &C, &F) < 0)
        return -1;
    w->n_samples = n, w->n_classes = C, w->n_features = F;
    w->n_order = v[V_ORDER].shape[0];
    w->values = v[V_X].buf;
    w->dense = !csr;
    w->single = v[V_X].itemsize == 4;
    if (csr) {
        w->indices = v[V_INDICES].buf, w->indptr = v[V_INDPTR].buf;
        w->wide_indices = v[V_INDICES].itemsize == 8;
        w->wide_indptr = v[V_INDPTR].itemsize == 8;
        w->nnz = v[V_X].shape[0];
        w->row_capacity = longest_row(&v[V_INDPTR]);
    } else {
        w->stride = n > 1 ? v[V_X].strides[0] / v[V_X].itemsize : 0;
        w->row_capacity = F > 0 ? F : 1;
    }
    w->factors = v[V_FACTORS].buf, w->curvature = v[V_CURVATURE].buf;
    w->a = v[V_A].buf, w->U = v[V_U].buf, w->residual = v[V_RESIDUAL].buf;
    w->multiplier = v[V_MULTIPLIER].buf;
    w->offset = c->held[V_OFFSET] ? v[V_OFFSET].buf : NULL;
    w->slack = c->held[V_SLACK] ? v[V_SLACK].buf : NULL;
    w->split = csr && w->offset != NULL;
    if (allocate(w, n, w->n_order) < 0)
        return -1;
    return check_values(c, scalars);
}

/* U into the transposed scratch (minus r mu^T for split CSR), and p = V mu
 * (CSR); the norms of the rows of soft(U, l1). */
static void enter(struct sweep *w)
{
    const ptrdiff_t C = w->n_classes, F = w->n_features;
    w->mu_sq = 0;
    if (w->dense) {
        for (ptrdiff_t j = 0; j < C && w->max_norm > 0; j++)
            for (ptrdiff_t k = 0; k < F; k++) {
                const double kept = soft(w->U[j * F + k], w->l1);
                w->norm_sq[j] += kept * kept;
            }
        return;
    }
    for (ptrdiff_t k = 0; k < F; k++) {
        const double mu = w->split ? w->offset[k] : 0.0;
        w->mu_sq += mu * mu;
        for (ptrdiff_t j = 0; j < C; j++) {
            const double value = w->U[j * F + k] - w->residual[j] * mu;
            w->Ut[k * C + j] = value;
            w->p[j] += value * mu;
            if (w->max_norm > 0) { /* never split: value = U */
                const double kept = soft(value, w->l1);
                w->norm_sq[j] += kept * kept;
            }
        }
    }
}

/* The scratch back into U. */
static void leave(struct sweep *w)
{
    const ptrdiff_t C = w->n_classes, F = w->n_features;
    if (w->dense)
        return;
    for (ptrdiff_t j = 0; j < C; j++)
        for (ptrdiff_t k = 0; k < F; k++)
            w->U[j * F + k] = w->Ut[k * C + j]
                              + (w->split ? w->residual[j] * w->offset[k] : 0);
}

/* The passes of one call: epochs >= 1 dividing the order's length, and the
 * shrinking schedule (full_every >= 0, since_full >= -1). */
static int check_passes(struct sweep *w, const Py_ssize_t *passes)
{
    if (passes[0] < 1 || w->n_order % passes[0] != 0)
        return fail("epochs = %zd must be at least 1 and divide the order's "
                    "length %zd.", passes[0], w->n_order);
    if (passes[1] < 0 || passes[2] < -1)
        return fail("full_every = %zd must be >= 0 and since_full = %zd >= "
                    "-1.", passes[1], passes[2]);
    w->n_epochs = passes[0], w->full_every = passes[1];
    w->since_full = passes[2];
    return 0;
}

static PyObject *sweep(PyObject *const *objects, int csr, const double *scalars,
                       const Py_ssize_t *passes)
{
    struct call *c = calloc(1, sizeof(struct call));
    if (c == NULL)
        return PyErr_NoMemory();
    if (get_views(c, objects, csr) < 0 || prepare(c, csr, scalars) < 0
        || check_passes(&c->w, passes) < 0) {
        release_call(c);
        return NULL;
    }
    struct sweep *w = &c->w;
    Py_BEGIN_ALLOW_THREADS
    enter(w);
    run_sweep(w);
    leave(w);
    Py_END_ALLOW_THREADS
    const double increase = w->increase;
    const int bad = w->bad;
    const ptrdiff_t sample = w->bad_sample;
    release_call(c);
    if (bad == BAD_ROW)
        return PyErr_Format(PyExc_ValueError, "Row %zd of X changed during the "
                            "sweep: its indices are out of bounds.", sample);
    if (bad == BAD_NON_FINITE)
        return PyErr_Format(PyExc_ValueError, "Non-finite scores at sample "
                            "%zd: X, U or the multiplier hold inf or NaN.",
                            sample);
    return PyFloat_FromDouble(increase);
}

PyDoc_STRVAR(sweep_dense_doc,
"sweep_dense(X, y, order, factors, curvature, a, U, residual, multiplier,\n"
"            offset, l1, l2, rho, margin, slack=None, max_norm=0,\n"
"            epochs=1, full_every=0, since_full=-1)\n"
"--\n\n"
"One pass of dual coordinate ascent over the samples in `order` (any\n"
"integers in [0, n_samples), repeats allowed). X (n_samples, n_features)\n"
"is float32 or float64 with contiguous rows; y holds integers in\n"
"[0, n_classes). Float64, C-contiguous: factors and curvature\n"
"(n_samples,), a (n_samples, n_classes) updated in place, U (n_classes,\n"
"n_features) updated in place, residual (n_classes,) updated in place,\n"
"multiplier (n_classes,), offset (n_features,) or None; slack\n"
"(n_samples,) or None gets, for each visited sample, the smallest margin\n"
"by which a sign keeps one of its a_ij at its bound (< 0: it would move).\n"
"max_norm > 0 bounds each row of W = soft(U, l1) / l2 to that norm.\n"
"epochs > 1: order holds that many passes of equal length, with the\n"
"multiplier step c <- c - rho r between them (in place; the caller takes\n"
"the one after the last); full_every > 0 skips the samples whose slack is\n"
"> 0 except in every full_every-th pass (since_full: passes since the last\n"
"full one, -1 to start with one).\n"
"Returns the increase of the dual. Raises ValueError for anything else.");

static PyObject *py_sweep_dense(PyObject *self, PyObject *args)
{
    PyObject *o[N_VIEWS] = {NULL};
    double s[5] = {0};
    Py_ssize_t passes[3] = {1, 0, -1};
    (void)self;
    if (!PyArg_ParseTuple(args, "OOOOOOOOOOdddd|Odnnn:sweep_dense", &o[V_X],
                          &o[V_Y], &o[V_ORDER], &o[V_FACTORS], &o[V_CURVATURE],
                          &o[V_A], &o[V_U], &o[V_RESIDUAL], &o[V_MULTIPLIER],
                          &o[V_OFFSET], &s[0], &s[1], &s[2], &s[3],
                          &o[V_SLACK], &s[4], &passes[0], &passes[1],
                          &passes[2]))
        return NULL;
    return sweep(o, 0, s, passes);
}

PyDoc_STRVAR(sweep_csr_doc,
"sweep_csr(data, indices, indptr, y, order, factors, curvature, a, U,\n"
"          residual, multiplier, offset, l1, l2, rho, margin, slack=None,\n"
"          max_norm=0, epochs=1, full_every=0, since_full=-1)\n"
"--\n\n"
"sweep_dense for CSR X: data float32 or float64, indices and indptr int32\n"
"or int64 (indices in [0, n_features), indptr non-decreasing within data).\n"
"With an offset, l1 and max_norm must be 0.");

static PyObject *py_sweep_csr(PyObject *self, PyObject *args)
{
    PyObject *o[N_VIEWS] = {NULL};
    double s[5] = {0};
    Py_ssize_t passes[3] = {1, 0, -1};
    (void)self;
    if (!PyArg_ParseTuple(args, "OOOOOOOOOOOOdddd|Odnnn:sweep_csr", &o[V_X],
                          &o[V_INDICES], &o[V_INDPTR], &o[V_Y], &o[V_ORDER],
                          &o[V_FACTORS], &o[V_CURVATURE], &o[V_A], &o[V_U],
                          &o[V_RESIDUAL], &o[V_MULTIPLIER], &o[V_OFFSET],
                          &s[0], &s[1], &s[2], &s[3], &o[V_SLACK], &s[4],
                          &passes[0], &passes[1], &passes[2]))
        return NULL;
    return sweep(o, 1, s, passes);
}

static PyMethodDef methods[] = {
    {"sweep_dense", py_sweep_dense, METH_VARARGS, sweep_dense_doc},
    {"sweep_csr", py_sweep_csr, METH_VARARGS, sweep_csr_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef dual_sweep_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "_dual_sweep",
    .m_doc = "Per-sample dual coordinate ascent for the multiclass hinge, "
             "checked boundary.",
    .m_size = -1,
    .m_methods = methods,
};

PyMODINIT_FUNC PyInit__dual_sweep(void)
{
    const char *isa = choose_dense();
    PyObject *module = PyModule_Create(&dual_sweep_module);
    if (module != NULL && PyModule_AddStringConstant(module, "isa", isa) < 0)
        Py_CLEAR(module);
    return module;
}
