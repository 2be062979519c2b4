/* The checked boundary of the dual sweep (included once by _dual_sweep.c).
 *
 * The house rule of sklinear's kernels (see _fused_check.h): every array
 * comes in through the buffer protocol with its format, shape and strides,
 * and nothing reaches the sweep unless it fits. Here: X dense (float32 or
 * float64, unit column stride, whole-element row stride) or CSR (data,
 * int32/int64 indices in [0, n_features), indptr non-decreasing within the
 * data); the float64 state and parameters C-contiguous; labels in
 * [0, n_classes) and every entry of the order in [0, n_samples), both copied
 * into scratch; outputs that overlap no other array. The checks of one
 * buffer are _buffer_check.h's, shared with the other kernels; the array
 * table is this boundary's own (_dual_sweep_boundary.h).
 */

#include "_buffer_check.h"

/* A buffer of `ndim` dimensions (writable if asked), or -1 with ValueError. */
static int get_view(PyObject *object, Py_buffer *view, int *held,
                    const char *name, int ndim, int writable)
{
    if (get_buffer(object, view, held, name, writable) < 0)
        return -1;
    if (view->ndim != ndim)
        return fail("%s must be %d-D, got %d-D.", name, ndim, view->ndim);
    return 0;
}

/* float64, C-contiguous, aligned, of the given shape (-1: any). */
static int check_float64(const Py_buffer *view, const char *name,
                         Py_ssize_t rows, Py_ssize_t columns)
{
    if (kind_of(view) != 'f' || view->itemsize != 8)
        return fail("%s must be float64 in native byte order, got format "
                    "'%s'.", name, view->format ? view->format : "B");
    if (view->shape[0] != rows && rows >= 0)
        return fail("%s has %zd rows, expected %zd.", name, view->shape[0],
                    rows);
    if (view->ndim == 2 && view->shape[1] != columns && columns >= 0)
        return fail("%s has %zd columns, expected %zd.", name, view->shape[1],
                    columns);
    if (!aligned(view) || !PyBuffer_IsContiguous(view, 'C'))
        return fail("%s must be C-contiguous and aligned.", name);
    return 0;
}

/* Contiguous native integers of 4 or 8 bytes (CSR indices and indptr). */
static int check_index_array(const Py_buffer *view, const char *name)
{
    if (kind_of(view) != 'i' || (view->itemsize != 4 && view->itemsize != 8))
        return fail("%s must be int32 or int64 in native byte order, got "
                    "format '%s'.", name, view->format ? view->format : "B");
    if (!aligned(view) || !PyBuffer_IsContiguous(view, 'C'))
        return fail("%s must be C-contiguous and aligned.", name);
    return 0;
}

static int64_t index_at(const void *data, int wide, Py_ssize_t k)
{
    return wide ? ((const int64_t *)data)[k] : ((const int32_t *)data)[k];
}

/* Non-negative finite values (factors, curvatures). */
static int check_non_negative(const double *values, Py_ssize_t n,
                              const char *name)
{
    for (Py_ssize_t i = 0; i < n; i++)
        if (!(values[i] >= 0 && isfinite(values[i])))
            return fail("%s[%zd] = %g is not a finite number >= 0.", name, i,
                        values[i]);
    return 0;
}

static int check_finite(const double *values, Py_ssize_t n, const char *name)
{
    for (Py_ssize_t i = 0; i < n; i++)
        if (!isfinite(values[i]))
            return fail("%s[%zd] = %g is not finite.", name, i, values[i]);
    return 0;
}

/* Dual variables in [0, 1], zero at each sample's own class. */
static int check_duals(const double *a, const ptrdiff_t *y, Py_ssize_t n,
                       Py_ssize_t C)
{
    for (Py_ssize_t i = 0; i < n; i++)
        for (Py_ssize_t j = 0; j < C; j++) {
            const double value = a[i * C + j];
            if (!(value >= 0 && value <= (j == y[i] ? 0.0 : 1.0)))
                return fail("a[%zd, %zd] = %g is outside [0, 1] (or not 0 at "
                            "the sample's class).", i, j, value);
        }
    return 0;
}

/* indptr non-decreasing within the data, and every index it covers in
 * [0, n_features). */
static int check_csr(const Py_buffer *indices, const Py_buffer *indptr,
                     Py_ssize_t n_features)
{
    const int wide_ptr = indptr->itemsize == 8;
    const int wide_idx = indices->itemsize == 8;
    const Py_ssize_t n_rows = indptr->shape[0] - 1, nnz = indices->shape[0];
    for (Py_ssize_t i = 0; i <= n_rows; i++) {
        const int64_t at = index_at(indptr->buf, wide_ptr, i);
        const int64_t before = i ? index_at(indptr->buf, wide_ptr, i - 1) : 0;
        if (at < before || at > (int64_t)nnz)
            return fail("indptr[%zd] = %lld is out of order or beyond the "
                        "%zd stored values.", i, (long long)at, nnz);
    }
    const int64_t end = index_at(indptr->buf, wide_ptr, n_rows);
    for (int64_t k = index_at(indptr->buf, wide_ptr, 0); k < end; k++) {
        const int64_t column = index_at(indices->buf, wide_idx, k);
        if (column < 0 || column >= (int64_t)n_features)
            return fail("indices[%lld] = %lld is not a column in [0, %zd).",
                        (long long)k, (long long)column, n_features);
    }
    return 0;
}
