/* A vectorized exp (template: included once per (REAL, instruction set),
 * it expects REAL, VEC, VECI (integer lanes of VEC's width), LANES, LOAD,
 * STORE, TARGET and SUFFIX(name), and VEXP_SINGLE defined for float). The
 * fused pass and the SAGA sweep's softmax use it: libm's scalar exp cost
 * about a third of a softmax pass.
 */
#include <string.h>

#ifdef VEXP_SINGLE
#define EXP_MAGIC 12582912.0f /* 1.5 * 2^23 */
#define EXP_BIAS 127
#define EXP_MANTISSA 23
#define EXP_LN2_HI 0.693359375f
#define EXP_LN2_LO (-2.12194440e-4f)
#define EXP_DEGREE 7
#else
#define EXP_MAGIC 6755399441055744.0 /* 1.5 * 2^52 */
#define EXP_BIAS 1023
#define EXP_MANTISSA 52
#define EXP_LN2_HI 6.93145751953125e-1
#define EXP_LN2_LO 1.42860682030941723212e-6
#define EXP_DEGREE 13
#endif

/* 1 / n! for n <= 13: the Taylor coefficients of exp. */
#ifndef SKLINEAR_INVERSE_FACTORIALS
#define SKLINEAR_INVERSE_FACTORIALS
static const double inverse_factorials[14] = {
    1.0, 1.0, 1.0 / 2, 1.0 / 6, 1.0 / 24, 1.0 / 120, 1.0 / 720, 1.0 / 5040,
    1.0 / 40320, 1.0 / 362880, 1.0 / 3628800, 1.0 / 39916800,
    1.0 / 479001600, 1.0 / 6227020800.0};
#endif

/* exp of each lane of x, for lanes in [log of the smallest normal number,
 * 0] (as the softmax's shifted, floored scores are) or NaN: x = k ln 2 + r with |r| <= ln(2) / 2 (k rounded to nearest
 * by adding and subtracting 1.5 * 2^EXP_MANTISSA, ln 2 in two parts so that
 * k * EXP_LN2_HI is exact), exp(r) by its Taylor polynomial of degree
 * EXP_DEGREE (the first term left out is below an ulp: r^14 / 14! < 5e-18,
 * r^8 / 8! < 6e-9), times 2^k from its exponent bits (k >= -1022, or -126,
 * above that log: a normal number). A NaN lane stays NaN. Lane-wise, so an
 * entry's exp does not depend on its neighbours (digits' softmax pass took
 * 273 us with libm's scalar calls against the hinge's 192, on one thread). */
TARGET static inline VEC SUFFIX(vexp)(VEC x)
{
    const VEC magic = (VEC){0} + EXP_MAGIC;
    const VEC t = x * (REAL)1.4426950408889634 + magic; /* log2(e) */
    const VEC k = t - magic;
    const VEC r = (x - k * EXP_LN2_HI) - k * EXP_LN2_LO;
    VEC p = (VEC){0} + (REAL)inverse_factorials[EXP_DEGREE];
    for (int n = EXP_DEGREE - 1; n >= 0; n--)
        p = p * r + (REAL)inverse_factorials[n];
    const VECI exponent = ((VECI)t - (VECI)magic + EXP_BIAS) << EXP_MANTISSA;
    return p * (VEC)exponent;
}

/* s[0:n] = exp(s[0:n]) by vexp, the last n % LANES through a vector padded
 * with zeros, so that every entry goes through the same function. */
TARGET static void SUFFIX(exp_in_place)(REAL *s, ptrdiff_t n)
{
    ptrdiff_t c = 0;
    for (; c + LANES <= n; c += LANES)
        STORE(s + c, SUFFIX(vexp)(LOAD(s + c)));
    if (c < n) {
        REAL tail[LANES] = {0};
        memcpy(tail, s + c, sizeof(REAL) * (size_t)(n - c));
        STORE(tail, SUFFIX(vexp)(LOAD(tail)));
        memcpy(s + c, tail, sizeof(REAL) * (size_t)(n - c));
    }
}


#undef EXP_MAGIC
#undef EXP_BIAS
#undef EXP_MANTISSA
#undef EXP_LN2_HI
#undef EXP_LN2_LO
#undef EXP_DEGREE
