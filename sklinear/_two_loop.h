/* L-BFGS's two-loop recursion (Nocedal and Wright, Algorithm 7.4) for
 * sklinear._solvers._quasi_newton, with its checked Python boundary.
 * Included once by _fused_check.h, after _buffer_check.h.
 *
 * out = -H gradient, H the inverse Hessian of the pairs s_i (row i of
 * `pairs`) and y_i (row m + i), i = slots[0], ..., slots[k - 1] oldest
 * first, rho_i = 1 / (s_i . y_i), and the initial scale gamma. In NumPy
 * the recursion is 4 k small calls of about 1 us each (k up to 20), or the
 * compact form's twenty-odd; here it is one call of a few microseconds
 * (digits: 650 unknowns). The dot products keep 8 partial sums, so that
 * they are not one chain of dependent additions; the order is fixed, so
 * the result is the same on every call.
 */

static double two_loop_dot(const double *a, const double *b, ptrdiff_t n)
{
    vf64u low = {0}, high = {0};
    ptrdiff_t i = 0;
    for (; i + 8 <= n; i += 8) {
        low += *(const vf64u *)(a + i) * *(const vf64u *)(b + i);
        high += *(const vf64u *)(a + i + 4) * *(const vf64u *)(b + i + 4);
    }
    const vf64u sum = low + high;
    double total = (sum[0] + sum[1]) + (sum[2] + sum[3]);
    for (; i < n; i++)
        total += a[i] * b[i];
    return total;
}

/* y += alpha x */
static void two_loop_axpy(double alpha, const double *x, double *y, ptrdiff_t n)
{
    for (ptrdiff_t i = 0; i < n; i++)
        y[i] += alpha * x[i];
}

static void two_loop(const double *pairs, ptrdiff_t m, ptrdiff_t n,
                     const double *rho, const ptrdiff_t *slots, ptrdiff_t k,
                     double gamma, const double *gradient, double *out,
                     double *alpha)
{
    memcpy(out, gradient, sizeof(double) * (size_t)n);
    for (ptrdiff_t j = k - 1; j >= 0; j--) {
        const ptrdiff_t i = slots[j];
        alpha[j] = rho[i] * two_loop_dot(pairs + i * n, out, n);
        two_loop_axpy(-alpha[j], pairs + (m + i) * n, out, n);
    }
    for (ptrdiff_t i = 0; i < n; i++)
        out[i] *= gamma;
    for (ptrdiff_t j = 0; j < k; j++) {
        const ptrdiff_t i = slots[j];
        const double beta = rho[i] * two_loop_dot(pairs + (m + i) * n, out, n);
        two_loop_axpy(alpha[j] - beta, pairs + i * n, out, n);
    }
    for (ptrdiff_t i = 0; i < n; i++)
        out[i] = -out[i];
}

enum { TL_PAIRS, TL_RHO, TL_SLOTS, TL_GRADIENT, TL_OUT, TL_ARRAYS };
static const char *const two_loop_names[TL_ARRAYS] = {
    "pairs", "rho", "slots", "gradient", "out",
};

/* Whether a float64 view is C-contiguous and aligned (a 1-D or 2-D one). */
static int contiguous_float64(const Py_buffer *v, const char *name, int ndim)
{
    if (check_dimensions_and_kind(v, name, ndim, 'f', 8) < 0)
        return -1;
    const ptrdiff_t columns = ndim == 2 ? v->shape[1] : 1;
    if (!aligned(v) || !whole_strides(v)
        || (v->shape[ndim - 1] > 1 && element_stride(v, ndim - 1) != 1)
        || (ndim == 2 && v->shape[0] > 1 && element_stride(v, 0) != columns))
        return fail("%s must be C-contiguous and aligned.", name);
    return 0;
}

static int two_loop_checks(Py_buffer *v)
{
    for (int a = 0; a < TL_ARRAYS; a++)
        if (a != TL_SLOTS
            && contiguous_float64(&v[a], two_loop_names[a], a == TL_PAIRS ? 2 : 1) < 0)
            return -1;
    if (v[TL_SLOTS].ndim != 1)
        return fail("slots must be 1-D, got %d-D.", v[TL_SLOTS].ndim);
    const Py_ssize_t rows = v[TL_PAIRS].shape[0], n = v[TL_PAIRS].shape[1];
    if (rows < 2 || rows % 2 != 0)
        return fail("pairs must have an even number of rows (s, then y), "
                    "got %zd.", rows);
    if (v[TL_RHO].shape[0] != rows / 2)
        return fail("rho must have %zd entries (one per pair), got %zd.",
                    rows / 2, v[TL_RHO].shape[0]);
    if (v[TL_SLOTS].shape[0] > rows / 2)
        return fail("slots must name at most %zd pairs, got %zd.", rows / 2,
                    v[TL_SLOTS].shape[0]);
    if (v[TL_GRADIENT].shape[0] != n || v[TL_OUT].shape[0] != n)
        return fail("gradient and out must have %zd entries (the pairs' "
                    "length), got %zd and %zd.", n, v[TL_GRADIENT].shape[0],
                    v[TL_OUT].shape[0]);
    for (int a = 0; a < TL_ARRAYS; a++)
        if (a != TL_OUT && overlap(&v[TL_OUT], &v[a]))
            return fail("out must not overlap %s.", two_loop_names[a]);
    return 0;
}

static PyObject *py_lbfgs_direction(PyObject *self, PyObject *args)
{
    (void)self;
    PyObject *objects[TL_ARRAYS];
    double gamma;
    if (!PyArg_ParseTuple(args, "OOOdOO:lbfgs_direction", &objects[TL_PAIRS],
                          &objects[TL_RHO], &objects[TL_SLOTS], &gamma,
                          &objects[TL_GRADIENT], &objects[TL_OUT]))
        return NULL;
    Py_buffer v[TL_ARRAYS];
    int held[TL_ARRAYS] = {0};
    ptrdiff_t *slots = NULL;
    double *alpha = NULL;
    PyObject *result = NULL;
    for (int a = 0; a < TL_ARRAYS; a++)
        if (get_buffer(objects[a], &v[a], &held[a], two_loop_names[a],
                       a == TL_OUT) < 0)
            goto done;
    if (two_loop_checks(v) < 0)
        goto done;
    const ptrdiff_t m = v[TL_PAIRS].shape[0] / 2, n = v[TL_PAIRS].shape[1];
    const ptrdiff_t k = v[TL_SLOTS].shape[0];
    slots = malloc(sizeof(ptrdiff_t) * (size_t)(k > 0 ? k : 1));
    alpha = malloc(sizeof(double) * (size_t)(k > 0 ? k : 1));
    if (slots == NULL || alpha == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    if (copy_integers(&v[TL_SLOTS], "slots", "a pair's slot ", m, slots) < 0)
        goto done;
    Py_BEGIN_ALLOW_THREADS
    two_loop(v[TL_PAIRS].buf, m, n, v[TL_RHO].buf, slots, k, gamma,
             v[TL_GRADIENT].buf, v[TL_OUT].buf, alpha);
    Py_END_ALLOW_THREADS
    Py_INCREF(Py_None);
    result = Py_None;
done:
    free(slots);
    free(alpha);
    release_views(v, held, TL_ARRAYS);
    return result;
}

static const char lbfgs_direction_doc[] =
    "lbfgs_direction(pairs, rho, slots, gamma, gradient, out): out = -H "
    "gradient by L-BFGS's two-loop recursion, from the pairs s_i = pairs[i] "
    "and y_i = pairs[m + i] (pairs of shape (2 m, n), float64, "
    "C-contiguous), i = slots[0], ... oldest first (each in [0, m)), "
    "rho[i] = 1 / (s_i . y_i) and the initial scale gamma. ValueError for "
    "arrays that do not fit (out must be writable and overlap no input).";
