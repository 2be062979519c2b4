/* The Python boundary (included once by _fused.c, after the kernels): the
 * checks of loss_gradient's arguments, then the module's functions.
 *
 * Every array comes in through the buffer protocol with its format, shape
 * and strides, and nothing reaches the kernels unless it fits: one float
 * dtype in native byte order, consistent shapes, unit column strides, row
 * strides that are whole elements, element-aligned data, outputs that are
 * C-contiguous and overlap no other array, and labels in [0, n_classes).
 * Labels, factors and shift are copied into contiguous scratch (O(rows)),
 * reading the labels byte-wise so that any stride works, even one that is
 * not a multiple of their size (a column of a packed record array). The
 * checks of one buffer are _buffer_check.h's, shared with the other kernels.
 */

#include "_buffer_check.h"

/* memory is optional (None: no SAGA memory). */
enum {
    A_X, A_Y, A_W, A_SHIFT, A_FACTORS, A_GRAD_W, A_GRAD_B, A_MEMORY, N_ARRAYS
};
static const char *const array_names[N_ARRAYS] = {
    "X", "y", "W", "shift", "factors", "grad_W", "grad_b", "memory",
};
static const int array_ndim[N_ARRAYS] = {2, 1, 2, 1, 1, 2, 1, 2};

static inline int is_output(int i)
{
    return i == A_GRAD_W || i == A_GRAD_B || i == A_MEMORY;
}

struct arrays {
    Py_buffer view[N_ARRAYS];
    int held[N_ARRAYS];
    void *scratch; /* labels, then factors, then shift */
};

static void release_arrays(struct arrays *a)
{
    release_views(a->view, a->held, N_ARRAYS);
    free(a->scratch);
    memset(a, 0, sizeof(*a));
}

/* Buffers with the right number of dimensions; outputs writable. */
static int get_views(struct arrays *a, PyObject *const *objects)
{
    for (int i = 0; i < N_ARRAYS; i++) {
        if (i == A_MEMORY && objects[i] == Py_None)
            continue; /* not held: no memory */
        if (get_buffer(objects[i], &a->view[i], &a->held[i], array_names[i],
                       is_output(i)) < 0)
            return -1;
        if (a->view[i].ndim != array_ndim[i])
            return fail("%s must be %d-D, got %d-D.", array_names[i],
                        array_ndim[i], a->view[i].ndim);
    }
    return 0;
}

/* Dtypes, shapes, strides, alignment and overlap. */
static int check_layout(const struct arrays *a)
{
    const Py_buffer *v = a->view, *X = &v[A_X], *W = &v[A_W];
    const Py_ssize_t n_rows = X->shape[0], F = X->shape[1], C = W->shape[0];
    const Py_ssize_t expected[N_ARRAYS][2] = {
        {n_rows, F}, {n_rows, 0}, {C, F}, {C, 0}, {n_rows, 0}, {C, F}, {C, 0},
        {n_rows, C},
    };
    if (kind_of(X) != 'f')
        return fail("X must be float32 or float64 in native byte order, got "
                    "format '%s'.", X->format ? X->format : "B");
    if (C < 1 || C > SKLINEAR_MAX_CLASSES)
        return fail("W must have 1 to %d rows (classes), got %zd.",
                    SKLINEAR_MAX_CLASSES, C);
    for (int i = 0; i < N_ARRAYS; i++) {
        const Py_buffer *view = &v[i];
        const char *name = array_names[i];
        if (!a->held[i])
            continue;
        for (int d = 0; d < view->ndim; d++)
            if (view->shape[d] != expected[i][d])
                return fail("%s has %zd %s, expected %zd (X is %zd x %zd, "
                            "W has %zd rows).", name, view->shape[d],
                            d == 0 ? "rows" : "columns", expected[i][d],
                            n_rows, F, C);
        if (i == A_Y) {
            if (kind_of(view) != 'i' && kind_of(view) != 'u')
                return fail("y must hold integers, got format '%s'.",
                            view->format ? view->format : "B");
            continue; /* read byte-wise: any stride and alignment */
        }
        if (kind_of(view) != 'f' || view->itemsize != X->itemsize)
            return fail("%s must have X's dtype (format '%s'), got '%s'.", name,
                        X->format, view->format ? view->format : "B");
        if (!aligned(view))
            return fail("%s is not aligned to its element size.", name);
        if (!whole_strides(view))
            return fail("%s's strides must be whole elements.", name);
        if (view->ndim == 2 && element_stride(view, 1) != 0
            && element_stride(view, 1) != 1)
            return fail("%s's rows must be contiguous (unit column stride).",
                        name);
    }
    for (int out = 0; out < N_ARRAYS; out++) {
        if (!is_output(out) || !a->held[out])
            continue;
        if (!PyBuffer_IsContiguous(&v[out], 'C'))
            return fail("%s must be C-contiguous.", array_names[out]);
        for (int i = 0; i < N_ARRAYS; i++)
            if (i != out && a->held[i] && overlap(&v[out], &v[i]))
                return fail("%s overlaps %s in memory.", array_names[out],
                            array_names[i]);
    }
    return 0;
}

/* Contiguous checked labels, factors and shift in a.scratch. */
static int copy_inputs(struct arrays *a)
{
    const Py_buffer *v = a->view, *y = &v[A_Y];
    const Py_ssize_t n = y->shape[0], C = v[A_W].shape[0];
    const Py_ssize_t item = v[A_X].itemsize;
    a->scratch = malloc((size_t)n * sizeof(ptrdiff_t)
                        + (size_t)(n + C) * (size_t)item + 1);
    if (a->scratch == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    ptrdiff_t *labels = a->scratch;
    if (copy_integers(y, "y", "a class index ", C, labels) < 0)
        return -1;
    char *out = (char *)(labels + n);
    const int vectors[2] = {A_FACTORS, A_SHIFT}; /* in this order */
    for (int i = 0; i < 2; i++) {
        const Py_buffer *view = &v[vectors[i]];
        for (Py_ssize_t j = 0; j < view->shape[0]; j++, out += item)
            memcpy(out, (const char *)view->buf + j * view->strides[0], item);
    }
    return 0;
}

/* Checks the arrays and fills in b's inputs and outputs; -1 with a Python
 * exception (ValueError) set when something does not fit. */
static int prepare_batch(struct batch *b, struct arrays *a,
                         PyObject *const *objects)
{
    if (get_views(a, objects) < 0 || check_layout(a) < 0 || copy_inputs(a) < 0)
        return -1;
    const Py_buffer *v = a->view;
    const Py_ssize_t n = v[A_X].shape[0], item = v[A_X].itemsize;
    b->X = v[A_X].buf;
    b->x_stride = element_stride(&v[A_X], 0);
    b->n_rows = n;
    b->n_features = v[A_X].shape[1];
    b->W = v[A_W].buf;
    b->w_stride = element_stride(&v[A_W], 0);
    b->n_classes = v[A_W].shape[0];
    b->y = a->scratch;
    b->factors = (const char *)a->scratch + (size_t)n * sizeof(ptrdiff_t);
    b->shift = (const char *)b->factors + (size_t)n * item;
    b->grad_W = v[A_GRAD_W].buf;
    b->grad_b = v[A_GRAD_B].buf;
    b->memory = a->held[A_MEMORY] ? v[A_MEMORY].buf : NULL;
    return 0;
}

/* ------------------------------------------------------------------------
 * The module's functions. */

PyDoc_STRVAR(loss_gradient_doc,
"loss_gradient(X, y, W, shift, factors, grad_W, grad_b, loss_kind, margin,\n"
"              memory=None)\n"
"--\n\n"
"Loss of the batch X (n_rows, n_features); writes the gradient of the loss\n"
"with respect to W (n_classes, n_features) into grad_W (same shape,\n"
"C-contiguous) and with respect to the intercept into grad_b (n_classes,).\n"
"X, W, shift (n_classes,), factors (n_rows,), grad_W and grad_b share one\n"
"dtype, float32 or float64; y (n_rows,) holds integers in [0, n_classes).\n"
"loss_kind is HINGE or SOFTMAX. With memory (n_rows, n_classes,\n"
"C-contiguous, X's dtype), SAGA's step: each row's dscores d replace its\n"
"memory m, and the gradients are those of d - m. Rows of m must sum to 0,\n"
"as rows of dscores do: the gradient's last row is computed from the\n"
"others. Raises ValueError for anything else.");

static PyObject *py_loss_gradient(PyObject *self, PyObject *args)
{
    PyObject *objects[N_ARRAYS];
    objects[A_MEMORY] = Py_None;
    struct batch *b = calloc(1, sizeof(struct batch));
    struct arrays arrays = {0};
    int loss_kind, n_threads = 0;
    double margin;
    (void)self;
    if (b == NULL)
        return PyErr_NoMemory();
    if (!PyArg_ParseTuple(args, "OOOOOOOid|O:loss_gradient", &objects[A_X],
                          &objects[A_Y], &objects[A_W], &objects[A_SHIFT],
                          &objects[A_FACTORS], &objects[A_GRAD_W],
                          &objects[A_GRAD_B], &loss_kind, &margin,
                          &objects[A_MEMORY]))
        goto fail;
    if (loss_kind != SKLINEAR_HINGE && loss_kind != SKLINEAR_SOFTMAX) {
        PyErr_SetString(PyExc_ValueError,
                        "loss_kind must be HINGE or SOFTMAX.");
        goto fail;
    }
    if (prepare_batch(b, &arrays, objects) < 0)
        goto fail;
    b->loss_kind = loss_kind;
    b->margin = margin;
    const size_t item = arrays.view[A_X].itemsize;
    plan_batch(b, item);
    Py_BEGIN_ALLOW_THREADS
    if (b->n_rows == 0) { /* an empty batch: zero loss and gradients */
        memset(b->grad_W, 0, item * (size_t)(b->n_classes * b->n_features));
        memset(b->grad_b, 0, item * (size_t)b->n_classes);
        n_threads = 1;
    } else {
        n_threads = run_batch(b, &kernels[item == 8], item);
    }
    Py_END_ALLOW_THREADS
    if (n_threads < 0) {
        PyErr_NoMemory();
        goto fail;
    }
    last_num_threads = n_threads;
    double loss = b->loss;
    release_arrays(&arrays);
    free(b);
    return PyFloat_FromDouble(loss);
fail:
    release_arrays(&arrays);
    free(b);
    return NULL;
}

static PyObject *py_get_num_threads(PyObject *self, PyObject *unused)
{
    (void)self, (void)unused;
    return PyLong_FromLong(sklinear_fused_get_num_threads());
}

static PyObject *py_set_num_threads(PyObject *self, PyObject *arg)
{
    long n_threads = PyLong_AsLong(arg);
    (void)self;
    if (n_threads == -1 && PyErr_Occurred())
        return NULL;
    n_threads = n_threads > INT_MAX ? INT_MAX : n_threads < 1 ? 1 : n_threads;
    return PyLong_FromLong(sklinear_fused_set_num_threads((int)n_threads));
}

static PyObject *py_last_num_threads(PyObject *self, PyObject *unused)
{
    (void)self, (void)unused;
    return PyLong_FromLong(last_num_threads);
}

static PyObject *py_plan(PyObject *self, PyObject *args)
{
    struct batch b = {0};
    (void)self;
    Py_ssize_t item;
    if (!PyArg_ParseTuple(args, "nnnn:plan", &b.n_rows, &b.n_features,
                          &b.n_classes, &item))
        return NULL;
    if (b.n_rows < 0 || b.n_features < 0 || b.n_classes < 1
        || b.n_classes > SKLINEAR_MAX_CLASSES || (item != 4 && item != 8)) {
        PyErr_SetString(PyExc_ValueError,
                        "plan: not a shape the kernel takes.");
        return NULL;
    }
    plan_batch(&b, (size_t)item);
    return Py_BuildValue("nniO", b.block_rows, b.n_blocks,
                         b.n_threads < 1 ? 1 : b.n_threads,
                         b.split ? Py_True : Py_False);
}

#include "_two_loop.h" /* L-BFGS's direction, for sklinear._solvers */

static PyMethodDef methods[] = {
    {"loss_gradient", py_loss_gradient, METH_VARARGS, loss_gradient_doc},
    {"get_num_threads", py_get_num_threads, METH_NOARGS,
     "The thread limit of loss_gradient."},
    {"set_num_threads", py_set_num_threads, METH_O,
     "Set the thread limit of loss_gradient (at least 1); returns the old "
     "one."},
    {"last_num_threads", py_last_num_threads, METH_NOARGS,
     "Threads used by this thread's last call of loss_gradient (0: none yet)."},
    {"plan", py_plan, METH_VARARGS,
     "plan(n_rows, n_features, n_classes, itemsize) -> (block_rows, n_blocks, "
     "n_threads, split): the row blocks of a batch of that shape and dtype "
     "size (fixed by them; blocks of about block_rows rows), the threads "
     "loss_gradient would use under the current limit, and whether they "
     "share each block (split mode) rather than take whole blocks."},
    {"lbfgs_direction", py_lbfgs_direction, METH_VARARGS, lbfgs_direction_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef fused_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "_fused",
    .m_doc = "Fused minibatch loss and gradient kernels, checked boundary.",
    .m_size = -1,
    .m_methods = methods,
};

PyMODINIT_FUNC PyInit__fused(void)
{
    PyObject *module = PyModule_Create(&fused_module);
    if (module == NULL)
        return NULL;
    choose_kernels();
    two_loop_choose();
    pthread_once(&fork_handlers_once, pool_install_fork_handlers);
    sklinear_fused_set_num_threads(default_limit());
    if (PyModule_AddIntConstant(module, "MAX_CLASSES", SKLINEAR_MAX_CLASSES) < 0
        || PyModule_AddIntConstant(module, "HINGE", SKLINEAR_HINGE) < 0
        || PyModule_AddIntConstant(module, "SOFTMAX", SKLINEAR_SOFTMAX) < 0) {
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
