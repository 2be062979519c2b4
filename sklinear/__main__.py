"""Run the demo: ``python -m sklinear`` (or the ``sklinear`` command).

See ``python -m sklinear --help`` for the options.
"""

import sys

from ._demo import main

__all__ = ["main"]

if __name__ == "__main__":
    sys.exit(main())
