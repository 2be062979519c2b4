/* Software prefetch for the sparse sweeps (_saga_sweep_impl.h and
 * _dual_sweep.c). A sparse step reads and writes the C weights of each of
 * its row's columns; the columns lie scattered over a weight matrix larger
 * than the caches, and without help each step waits on their cache lines
 * nearly one after another. The sweeps ask for the lines of the column
 * PREFETCH_AHEAD entries ahead in the row, and for the next row's first
 * columns, before they need them. A prefetch never faults, even at an
 * address outside the process. A no-op where the compiler has no prefetch builtin.
 */

#ifndef SKLINEAR_PREFETCH_H
#define SKLINEAR_PREFETCH_H

#include <stddef.h>
#include <stdint.h>

/* 3 to 12 took the same time on 15,000 x 20,000 and 20,000 x 100,000 CSR
 * rows of ~100 values, 20 classes (SAGA epochs). */
#define PREFETCH_AHEAD 6

/* The cache lines of `count` doubles from the address `first`, for
 * writing. The address is an integer: callers may compute it from an index
 * they have not checked yet without forming an out-of-bounds pointer. */
static inline void prefetch_span(uintptr_t first, Py_ssize_t count)
{
#if defined(__GNUC__)
    const uintptr_t size = (uintptr_t)count * sizeof(double);
    for (uintptr_t o = 0; o < size; o += 64)
        __builtin_prefetch((const void *)(first + o), 1);
    __builtin_prefetch((const void *)(first + size - 1), 1);
#else
    (void)first, (void)count;
#endif
}

#endif
