/* The dense rows' products of _dual_sweep.c, included twice: with TARGET
 * empty (the baseline ISA) and with TARGET = avx2,fma on x86 (chosen at
 * import). For dense rows U stays in the caller's layout (classes x
 * features), so a class's score is one contiguous dot product and its update
 * one axpy: both run on whole vectors, where the transposed layout of sparse
 * rows would do C-long loops per feature.
 */

/* a . b over n entries: four lanes, two accumulators, the tail in scalars
 * (a fixed order, so the same inputs give the same bits). */
TARGET static double SUFFIX(dot)(const double *a, const double *b, ptrdiff_t n)
{
    vf64 first = {0, 0, 0, 0}, second = {0, 0, 0, 0};
    ptrdiff_t k = 0;
    for (; k + 8 <= n; k += 8) {
        first += LOAD(a + k) * LOAD(b + k);
        second += LOAD(a + k + 4) * LOAD(b + k + 4);
    }
    const vf64 sum = first + second;
    double total = (sum[0] + sum[2]) + (sum[1] + sum[3]);
    for (; k < n; k++)
        total += a[k] * b[k];
    return total;
}

/* u -= g x over n entries. */
TARGET static void SUFFIX(axpy)(double *u, double g, const double *x,
                                ptrdiff_t n)
{
    const vf64 scale = {g, g, g, g};
    ptrdiff_t k = 0;
    for (; k + 4 <= n; k += 4)
        STORE(u + k, LOAD(u + k) - scale * LOAD(x + k));
    for (; k < n; k++)
        u[k] -= g * x[k];
}
