/* The buffer checks that every compiled boundary of sklinear shares.
 *
 * The house rule of the kernels: every array comes in through the buffer
 * protocol with its format, shape and strides, and nothing reaches a kernel
 * unless it fits. The three boundaries (_fused_check.h, _dual_sweep_check.h,
 * _saga_sweep_check.h) each include this header first, after <Python.h>, and
 * keep their own array tables and rules; what reads one buffer is here:
 * taking and releasing the views, the element kind of a format, alignment
 * and strides in whole elements, the bytes an array spans and whether two
 * arrays overlap, one integer read at any size and alignment, and the
 * ValueError that every failed check raises.
 *
 * Helpers that not every boundary uses are `static inline`, so that a
 * boundary without them compiles without an unused-function warning.
 */

#ifndef SKLINEAR_BUFFER_CHECK_H
#define SKLINEAR_BUFFER_CHECK_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Raise ValueError with a printf-style message; returns -1. */
static int fail(const char *format, ...)
{
    va_list args;
    va_start(args, format);
    PyErr_FormatV(PyExc_ValueError, format, args);
    va_end(args);
    return -1;
}

/* A buffer of `object` with its format and strides (writable if asked),
 * `*held` set once it is taken; or -1 with a ValueError naming `name`. */
static int get_buffer(PyObject *object, Py_buffer *view, int *held,
                      const char *name, int writable)
{
    int flags = PyBUF_STRIDES | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0);
    if (PyObject_GetBuffer(object, view, flags) < 0) {
        PyObject *type, *value, *traceback;
        PyErr_Fetch(&type, &value, &traceback);
        PyErr_Format(PyExc_ValueError, "%s must be a%s array: %S", name,
                     writable ? " writable" : "n",
                     value != NULL ? value : Py_None);
        Py_XDECREF(type), Py_XDECREF(value), Py_XDECREF(traceback);
        return -1;
    }
    *held = 1;
    return 0;
}

/* Release the `n` views whose `held` flag is set. */
static void release_views(Py_buffer *views, const int *held, int n)
{
    for (int i = 0; i < n; i++)
        if (held[i])
            PyBuffer_Release(&views[i]);
}

/* 'f' for a float of the buffer's itemsize (4 or 8), 'i' or 'u' for a signed
 * or unsigned integer of 1, 2, 4 or 8 bytes, in native byte order; else 0. */
static char kind_of(const Py_buffer *view)
{
    const char *f = view->format == NULL ? "B" : view->format;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    const char native = '<';
#else
    const char native = '>';
#endif
    if (*f == '@' || *f == '=' || *f == native || (native == '>' && *f == '!'))
        f++;
    if (f[0] == '\0' || f[1] != '\0')
        return 0;
    const Py_ssize_t size = view->itemsize;
    if (f[0] == 'f' || f[0] == 'd')
        return size == (f[0] == 'f' ? 4 : 8) ? 'f' : 0;
    if (size != 1 && size != 2 && size != 4 && size != 8)
        return 0;
    if (strchr("bhilqn", f[0]) != NULL)
        return 'i';
    return strchr("BHILQN", f[0]) != NULL ? 'u' : 0;
}

/* `name`'s buffer has `ndim` dimensions and elements of `kind` ('f', 'i'
 * or 'u', see kind_of) of `itemsize` bytes (0: 4 or 8); else -1 with a
 * ValueError. */
static inline int check_dimensions_and_kind(const Py_buffer *v,
                                            const char *name, int ndim,
                                            char kind, Py_ssize_t itemsize)
{
    if (v->ndim != ndim)
        return fail("%s must be %d-D, got %d-D.", name, ndim, v->ndim);
    if (kind_of(v) != kind
        || (itemsize ? v->itemsize != itemsize
                     : v->itemsize != 4 && v->itemsize != 8))
        return fail("%s has the wrong dtype (format '%s').", name,
                    v->format ? v->format : "B");
    return 0;
}

/* Whether the data start on a multiple of the element size. */
static inline int aligned(const Py_buffer *view)
{
    return (uintptr_t)view->buf % (uintptr_t)view->itemsize == 0;
}

/* Whether every stride is a whole number of elements (a dimension of
 * length 0 or 1 is never stepped along, so its stride does not matter). */
static inline int whole_strides(const Py_buffer *view)
{
    for (int d = 0; d < view->ndim; d++)
        if (view->shape[d] > 1 && view->strides[d] % view->itemsize != 0)
            return 0;
    return 1;
}

/* The stride of dimension `dim` in elements, 0 where it does not matter. */
static inline ptrdiff_t element_stride(const Py_buffer *view, int dim)
{
    return view->shape[dim] <= 1 ? 0 : view->strides[dim] / view->itemsize;
}

/* The bytes an array spans, for the overlap check. */
static void extent(const Py_buffer *view, uintptr_t *lo, uintptr_t *hi)
{
    intptr_t first = 0, last = 0;
    for (int d = 0; d < view->ndim; d++) {
        if (view->shape[d] == 0) {
            *lo = *hi = (uintptr_t)view->buf;
            return;
        }
        intptr_t span = (intptr_t)(view->shape[d] - 1) * view->strides[d];
        first += span < 0 ? span : 0;
        last += span > 0 ? span : 0;
    }
    *lo = (uintptr_t)view->buf + first;
    *hi = (uintptr_t)view->buf + last + view->itemsize;
}

/* Whether two non-empty arrays share a byte. */
static int overlap(const Py_buffer *a, const Py_buffer *b)
{
    uintptr_t a_lo, a_hi, b_lo, b_hi;
    extent(a, &a_lo, &a_hi);
    extent(b, &b_lo, &b_hi);
    return a_lo < a_hi && b_lo < b_hi && a_lo < b_hi && b_lo < a_hi;
}

/* One integer, whatever its type, size and alignment; 0 if it does not fit
 * in [0, bound). */
static int read_integer(const char *p, Py_ssize_t size, char kind,
                        ptrdiff_t bound, ptrdiff_t *out)
{
    int64_t value;
    if (kind == 'i') {
        int8_t i8; int16_t i16; int32_t i32;
        switch (size) {
        case 1: memcpy(&i8, p, 1); value = i8; break;
        case 2: memcpy(&i16, p, 2); value = i16; break;
        case 4: memcpy(&i32, p, 4); value = i32; break;
        default: memcpy(&value, p, 8);
        }
    } else {
        uint8_t u8; uint16_t u16; uint32_t u32; uint64_t u64;
        switch (size) {
        case 1: memcpy(&u8, p, 1); value = u8; break;
        case 2: memcpy(&u16, p, 2); value = u16; break;
        case 4: memcpy(&u32, p, 4); value = u32; break;
        default:
            memcpy(&u64, p, 8);
            value = u64 > INT64_MAX ? -1 : (int64_t)u64;
        }
    }
    *out = (ptrdiff_t)value;
    return value >= 0 && value < (int64_t)bound;
}

/* A 1-D integer array (any integer type, size and alignment) copied into
 * `out`, each entry checked to lie in [0, bound); `what` names an entry in
 * the error message ("a class index " or ""). */
static int copy_integers(const Py_buffer *view, const char *name,
                         const char *what, ptrdiff_t bound, ptrdiff_t *out)
{
    const char kind = kind_of(view);
    if (kind != 'i' && kind != 'u')
        return fail("%s must hold integers, got format '%s'.", name,
                    view->format ? view->format : "B");
    for (Py_ssize_t i = 0; i < view->shape[0]; i++) {
        const char *p = (const char *)view->buf + i * view->strides[0];
        if (!read_integer(p, view->itemsize, kind, bound, &out[i]))
            return fail("%s[%zd] = %zd is not %sin [0, %zd).", name, i,
                        out[i], what, bound);
    }
    return 0;
}

#endif /* SKLINEAR_BUFFER_CHECK_H */
