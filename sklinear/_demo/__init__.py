"""The demo behind ``python -m sklinear``, and the code of the docs' gallery.

The lecture's story on one dataset, in four parts that each module keeps to
itself:

- :mod:`.experiments`: the experiments by name (``EXPERIMENTS``), the sizes
  of a run (``DEFAULT``, ``QUICK``), running them and the results table;
- :mod:`.data`: the images, the offline photo patches or CIFAR-10;
- :mod:`.figures`: the pictures, drawn from the results by experiment name;
- :mod:`.cli`: the command line, which runs every experiment and writes every
  picture.

The examples of the documentation's gallery (``examples/``) run the same
experiments and draw the same pictures, a few at a time.
"""

from .cli import RESULTS_FILE, build_parser, main
from .data import DemoData, load_data
from .experiments import (
    DEFAULT,
    EXPERIMENTS,
    QUICK,
    Experiment,
    Result,
    Settings,
    format_table,
    run_experiments,
)
from .figures import PICTURES

__all__ = [
    "DEFAULT",
    "EXPERIMENTS",
    "PICTURES",
    "QUICK",
    "RESULTS_FILE",
    "DemoData",
    "Experiment",
    "Result",
    "Settings",
    "build_parser",
    "format_table",
    "load_data",
    "main",
    "run_experiments",
]
