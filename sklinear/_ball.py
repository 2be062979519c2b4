"""Row norms and the projection onto the max-norm ball in a diagonal metric.

Private: the arithmetic of :func:`sklinear.penalties.project_max_norm`.
"""

import numpy as np

__all__ = ["project_rows_in_metric", "row_norms"]


def row_norms(W):
    """The L2 norm of each row of ``W``, without overflow of the squares."""
    norms = np.sqrt(np.einsum("ij,ij->i", W, W))
    if np.all(np.isfinite(norms)):
        return norms
    # Squares overflowed: scale each row to a largest entry of 1 first.
    largest = np.max(np.abs(W), axis=1)
    safe = np.where(largest > 0, largest, 1.0)
    scaled = W / safe[:, None]
    return safe * np.sqrt(np.einsum("ij,ij->i", scaled, scaled))


def project_rows_in_metric(rows, radius, step_scale, n_newton=50):
    """Rows ``v / (1 + lambda p)`` of norm ``radius``, one ``lambda`` per row.

    Newton's method on ``1 / ||w(lambda)|| - 1 / radius``, which is nearly
    linear in ``lambda`` (as in trust-region solvers). It starts from the
    exact ``lambda`` for the ``v^2``-weighted mean multiplier, which by
    Jensen's inequality is at most the root, so the iterates increase
    monotonically to it (two or three steps).
    """
    # In the weights' precision (float32 halves the memory traffic); the
    # caller's final rescaling makes up for the rounding of the norm. Scaling
    # all multipliers alike only rescales lambda: the largest becomes 1.
    step_scale = (step_scale / np.max(step_scale)).astype(rows.dtype)
    radius = np.broadcast_to(np.asarray(radius, dtype=np.float64), (len(rows), 1))
    v2 = np.square(rows)
    v2_scaled = v2 * step_scale
    norm_sq = np.sum(v2, axis=1, keepdims=True)
    mean_scale = np.sum(v2_scaled, axis=1, keepdims=True) / norm_sq
    lam = (np.sqrt(norm_sq) / radius - 1.0) / mean_scale
    # Two work arrays for the whole loop: fresh temporaries this size cost
    # more in allocation than in arithmetic.
    shrink, shrink_power = np.empty_like(v2), np.empty_like(v2)
    tolerance = 10 * np.finfo(rows.dtype).eps * radius
    for _ in range(n_newton):
        np.multiply(lam, step_scale, out=shrink)
        shrink += 1.0
        np.reciprocal(shrink, out=shrink)
        np.multiply(shrink, shrink, out=shrink_power)
        norm_sq = np.einsum("ij,ij->i", v2, shrink_power)[:, None]
        shrink_power *= shrink
        slope = np.einsum("ij,ij->i", v2_scaled, shrink_power)[:, None]
        # h = 1/norm - 1/radius has the slope dh/dlambda = slope / norm^3.
        norm = np.sqrt(norm_sq)
        lam -= (1.0 / norm - 1.0 / radius) * norm_sq * norm / slope
        if np.all(np.abs(norm - radius) <= tolerance):
            break
    np.multiply(lam, step_scale, out=shrink)
    shrink += 1.0
    return np.divide(rows, shrink, out=shrink)
