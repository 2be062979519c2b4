/* L-BFGS's two-loop recursion (Nocedal and Wright, Algorithm 7.4) for
 * sklinear._solvers._quasi_newton, with its checked Python boundary.
 * Included once by _fused_check.h, after _buffer_check.h.
 *
 * out = -H gradient, H the inverse Hessian of the pairs s_i (row i of
 * `pairs`) and y_i (row m + i), i = slots[0], ..., slots[k - 1] oldest
 * first, rho_i = 1 / (s_i . y_i), and the initial scale gamma. In NumPy
 * the recursion is 4 k small calls of about 1 us each (k up to 20), or the
 * compact form's twenty-odd; here it is one call of a few microseconds
 * (digits: 650 unknowns), with the sweeps' dot and axpy (fixed summation
 * orders, so the same inputs give the same bits).
 */

/* The dense dot and axpy (u -= g x) of the sweeps, _simd_kernels.h, for
 * the baseline ISA and AVX2 + FMA (chosen at import by two_loop_choose). */
#undef TARGET
#undef SUFFIX
#define SIMD_TEMPLATE "_simd_kernels.h"
#include "_simd_twice.h"

static double (*two_loop_dot)(const double *, const double *, ptrdiff_t) =
    dot_baseline;
static void (*two_loop_axpy)(double *, double, const double *, ptrdiff_t) =
    axpy_baseline;

static void two_loop_choose(void)
{
#if SKLINEAR_X86
    if (simd_avx2()) {
        two_loop_dot = dot_avx2;
        two_loop_axpy = axpy_avx2;
    }
#endif
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
        two_loop_axpy(out, alpha[j], pairs + (m + i) * n, n);
    }
    for (ptrdiff_t i = 0; i < n; i++)
        out[i] *= gamma;
    for (ptrdiff_t j = 0; j < k; j++) {
        const ptrdiff_t i = slots[j];
        const double beta = rho[i] * two_loop_dot(pairs + (m + i) * n, out, n);
        two_loop_axpy(out, beta - alpha[j], pairs + i * n, n);
    }
    for (ptrdiff_t i = 0; i < n; i++)
        out[i] = -out[i];
}

enum { TL_PAIRS, TL_RHO, TL_SLOTS, TL_GRADIENT, TL_OUT, TL_ARRAYS };
static const char *const two_loop_names[TL_ARRAYS] = {
    "pairs", "rho", "slots", "gradient", "out",
};

/* A float64 view of `ndim` dimensions, C-contiguous and aligned. */
static int contiguous_float64(const Py_buffer *v, const char *name, int ndim)
{
    if (check_dimensions_and_kind(v, name, ndim, 'f', 8) < 0)
        return -1;
    if (!aligned(v) || !PyBuffer_IsContiguous(v, 'C'))
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
