"""The sweeps' vector kernels: the AVX2 + FMA build and the baseline one give
the same fits (to rounding: FMA rounds once where the baseline rounds twice).

``SKLINEAR_BASELINE_ISA=1`` makes a fresh interpreter pick the baseline
kernels, so both run on any x86 machine with AVX2.
"""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from sklinear._solvers import _dual_cd, _sample_saga

pytestmark = pytest.mark.skipif(
    not (_dual_cd.sweep_available() and _sample_saga.sweep_available()),
    reason="the compiled sweeps were not built",
)

# Fits through each sweep's vector code: the dual ascent (plain, with
# max_norm, with the elastic net) and SAGA's single-sample steps, on dense
# and on CSR rows.
FITS = """
import json, warnings
import numpy as np
import scipy.sparse as sp
from sklearn.datasets import load_digits
from sklearn.preprocessing import StandardScaler
from sklinear import LinearSVMClassifier, SoftmaxClassifier, _dual_sweep, _saga_sweep
warnings.simplefilter("ignore")
X, y = load_digits(return_X_y=True)
X = StandardScaler().fit_transform(X[:600])
y = y[:600]
models = [
    LinearSVMClassifier(max_iter=20, random_state=0),
    LinearSVMClassifier(max_iter=20, max_norm=0.5, random_state=0),
    LinearSVMClassifier(max_iter=20, penalty="elasticnet", random_state=0),
    SoftmaxClassifier(max_iter=20, solver="saga", random_state=0),
    SoftmaxClassifier(
        max_iter=20, penalty="elasticnet", solver="saga", random_state=0
    ),
]
# CSR rows: SAGA's lazy steps (L2, the elastic net's catch-up, max_norm).
sparse = [
    SoftmaxClassifier(max_iter=20, solver="saga", random_state=0),
    SoftmaxClassifier(
        max_iter=20, penalty="elasticnet", solver="saga", random_state=0
    ),
    SoftmaxClassifier(max_iter=20, max_norm=0.5, solver="saga", random_state=0),
]
coefs = [m.fit(X, y).coef_.tolist() for m in models]
coefs += [m.fit(sp.csr_matrix(X), y).coef_.tolist() for m in sparse]
solvers = [m.solver_ for m in models + sparse]
print(json.dumps([_dual_sweep.isa, _saga_sweep.isa, solvers, coefs]))
"""


def _fits(baseline):
    env = dict(os.environ)
    env.pop("SKLINEAR_BASELINE_ISA", None)
    if baseline:
        env["SKLINEAR_BASELINE_ISA"] = "1"
    out = subprocess.run(
        [sys.executable, "-c", FITS], env=env, capture_output=True, text=True,
        timeout=300, check=True,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_baseline_and_vector_kernels_fit_the_same_models():
    dual_isa, saga_isa, solvers, vector = _fits(baseline=False)
    if dual_isa == "baseline":
        pytest.skip("this CPU has no AVX2 + FMA: only the baseline kernels run")
    assert (dual_isa, saga_isa) == ("avx2", "avx2")
    assert solvers == ["sdca", "sdca", "sdca"] + ["saga"] * 5
    *isas, _, baseline = _fits(baseline=True)
    assert isas == ["baseline", "baseline"]
    for got, want in zip(baseline, vector):
        np.testing.assert_allclose(got, want, rtol=1e-7, atol=1e-9)
