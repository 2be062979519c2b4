/* Dense products of the sweeps, included twice (see _simd.h): with TARGET
 * empty (the baseline ISA) and with TARGET = avx2,fma on x86, the names
 * given by SUFFIX.
 */

/* a . b over n entries: four lanes, two accumulators, the tail in scalars
 * (a fixed order, so the same inputs give the same bits). */
TARGET static inline double SUFFIX(dot)(const double *a, const double *b,
                                        ptrdiff_t n)
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
TARGET static inline void SUFFIX(axpy)(double *u, double g, const double *x,
                                       ptrdiff_t n)
{
    const vf64 scale = {g, g, g, g};
    ptrdiff_t k = 0;
    for (; k + 4 <= n; k += 4)
        STORE(u + k, LOAD(u + k) - scale * LOAD(x + k));
    for (; k < n; k++)
        u[k] -= g * x[k];
}
