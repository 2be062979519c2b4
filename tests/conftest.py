"""Test-session settings shared by every test module."""

import pytest
from threadpoolctl import threadpool_limits


@pytest.fixture(autouse=True, scope="session")
def one_blas_thread():
    """Run BLAS on one thread for the whole session.

    The suite's products are small, and CI has two shared cores: there a
    second OpenBLAS thread mostly waits for a busy core. LogisticRegression
    on digits took 11.6 s with two threads and 0.16 s with one on this
    project's machine under load. No test's result depends on the BLAS thread
    count; the tests of the compiled kernel's own threads set their limits
    themselves.
    """
    with threadpool_limits(limits=1, user_api="blas"):
        yield
