"""Sphinx configuration of the sklinear documentation.

Build (warnings are errors, as in CI):

    python -m sphinx -W --keep-going -b html docs docs/_build/html

Everything is built offline, and the built pages work offline: no
intersphinx inventories are fetched; MathJax comes from the
``sphinx-mathjax-offline`` package and is copied into the build; and the
``offline_check`` extension (``_ext/``) warns about any page that would load
a file from the network. The figures are drawn at build time by the
package's own plotting functions (``.. plot::`` directives), and the gallery
(``examples/``, sphinx-gallery) runs the demo's experiments.
"""

import argparse
import functools
import importlib
import inspect
import pkgutil
import re
import sys
from pathlib import Path

from sphinx.util import logging

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS.parent))  # document the source tree, installed or not
sys.path.insert(0, str(DOCS / "_ext"))  # this documentation's own extensions

from threadpoolctl import threadpool_limits  # noqa: E402

import sklinear  # noqa: E402
from sklinear._demo import build_parser  # noqa: E402

# The examples' minibatch products are small: on a busy machine, BLAS threads
# waiting for each other make them many times slower than one thread.
threadpool_limits(limits=1, user_api="blas")

project = "sklinear"
author = "the sklinear developers"
copyright = "the sklinear developers, BSD-3-Clause"
version = release = sklinear.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    # MathJax 3 bundled: sets mathjax_path to the copy it puts in _static.
    "sphinx-mathjax-offline",
    "sphinx.ext.viewcode",
    "numpydoc",
    "matplotlib.sphinxext.plot_directive",
    "sphinx_gallery.gen_gallery",
    "see_also",
    "offline_check",
]

exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "_ext"]
templates_path = ["_templates"]
html_static_path = ["_static"]
# Wide display math scrolls sideways instead of being cut off.
html_css_files = ["sklinear.css"]
# MathJax 3 (the bundled one) reads \text{...} literally unless textmacros is
# loaded: with it, \text{power\_t} shows an underscore, as MathJax 4 does.
mathjax3_config = {
    "loader": {"load": ["[tex]/textmacros"]},
    "tex": {"packages": {"[+]": ["textmacros"]}},
}
# "fit()", not "SoftmaxClassifier.fit()", in a page's table of contents: the
# long names of inherited methods would not fit in the sidebar.
toc_object_entries_show_parents = "hide"
html_theme = "pydata_sphinx_theme"
html_title = f"sklinear {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
}
html_sidebars = {"**": ["sidebar-nav-bs"]}

# -- API reference -----------------------------------------------------------

autosummary_generate = True
autodoc_default_options = {"members": True}
autodoc_typehints = "none"  # the numpydoc sections say it all
numpydoc_show_class_members = False  # the class template lists them instead
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

# -- Figures drawn at build time -----------------------------------------------

plot_include_source = True
plot_html_show_source_link = False
plot_html_show_formats = False
plot_formats = [("png", 100)]
plot_rcparams = {"figure.dpi": 100, "savefig.bbox": "tight"}
# Each plot's code is complete as shown, so that readers can copy it.
plot_pre_code = ""

# -- Gallery: the demo's experiments ---------------------------------------------

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "within_subsection_order": "FileNameSortKey",  # the lecture's order
    "abort_on_example_error": True,
    "download_all_examples": False,
    "show_memory": False,
    "show_signature": False,
    # Its pages load jQuery and DataTables from the network; the build log
    # has the same times.
    "write_computation_times": False,
    # The figure functions return their figure; the picture is what counts.
    "ignore_repr_types": r"matplotlib\.",
}

# -- Checks and generated pages --------------------------------------------------

# Every public name (``__all__``) of every public module must be listed in
# api.rst, except in these modules (name: why).
DEFERRED_MODULES = {}
_NOT_NAMES = {"__version__"}
# scikit-learn's generated metadata-routing methods: their docstrings point
# into scikit-learn's own documentation.
_SHAPE_NAME = re.compile(r"(?<=shape \()(\w+_)(?=,\))")
_SKIPPED_MEMBERS = re.compile(r"set_\w+_request|get_metadata_routing")

logger = logging.getLogger("sklinear.docs")


def _documented_objects():
    """The objects listed in the autosummary tables of api.rst, by id."""
    objects, module = set(), None
    for line in (DOCS / "api.rst").read_text().splitlines():
        if line.startswith(".. currentmodule:: "):
            module = importlib.import_module(line.split("::")[1].strip())
        elif re.fullmatch(r"   \w+", line) and module is not None:
            objects.add(id(getattr(module, line.strip(), None)))
    return objects


def _public_modules():
    """``sklinear`` and its submodules whose names do not start with ``_``."""
    submodules = pkgutil.iter_modules(sklinear.__path__, prefix="sklinear.")
    return ["sklinear", *sorted(m.name for m in submodules if "._" not in m.name)]


def _undocumented_names():
    """Public names (``__all__``) of the public modules missing from api.rst.

    A name re-exported by another module counts as documented when the same
    object is listed anywhere.
    """
    documented = _documented_objects()
    missing = []
    for module_name in _public_modules():
        if module_name in DEFERRED_MODULES:
            continue
        module = importlib.import_module(module_name)
        for name in getattr(module, "__all__", []):
            value = getattr(module, name)
            if name in _NOT_NAMES or inspect.ismodule(value):
                continue
            if id(value) not in documented:
                missing.append(f"{module_name}.{name}")
    return missing


def _write_cli_help():
    """The demo's --help text, included by the demo page."""
    parser = build_parser()
    parser.formatter_class = functools.partial(argparse.HelpFormatter, width=88)
    _write_generated("cli_help.txt", parser.format_help())


# The README's demo run: "ran in 17 s (wall time) on 2 cores" and the table
# it printed. The docs quote both from there, so that they cannot disagree.
README_DEMO_RUN = re.compile(r"ran in (\d+(?:\.\d+)? s) \(wall time\) on (\d+) cores")
README_DEMO_TABLE = re.compile(r"^\| experiment .*?(?=\n\s*\n|\Z)", flags=re.S | re.M)


def _readme_demo_run():
    """The README's demo run: its time and machine, and its table."""
    readme = (DOCS.parent / "README.md").read_text()
    run, table = README_DEMO_RUN.search(readme), README_DEMO_TABLE.search(readme)
    if run is None or table is None:
        raise ValueError(
            "README.md has no demo run for the docs to quote: a sentence with "
            "'ran in N s (wall time) on N cores' and a table whose header starts "
            "with '| experiment '."
        )
    return f"{run[1]} of wall time on {run[2]} cores", table[0]


DEMO_RUN, DEMO_TABLE = _readme_demo_run()
rst_epilog = f".. |demo_run| replace:: {DEMO_RUN}\n"

README_TABLE = re.compile(
    r"<!-- benchmark-table -->(.*?)<!-- /benchmark-table -->", flags=re.S
)


def _markdown_cell_to_rst(cell):
    """Inline Markdown of a table cell as reST: code spans and links."""
    cell = re.sub(r"(?<!`)`([^`]+)`(?!`)", r"``\1``", cell)
    return re.sub(r"\[([^\]]+)\]\(([^)]+)\)", r"`\1 <\2>`__", cell)


def _readme_benchmark_table():
    """The README's benchmark section as reST: paragraphs and list-tables."""
    readme = DOCS.parent / "README.md"
    found = README_TABLE.search(readme.read_text()) if readme.exists() else None
    if found is None:
        return (
            "The benchmark table is not in the README yet (it goes between "
            "``<!-- benchmark-table -->`` and ``<!-- /benchmark-table -->``).\n"
        )
    blocks = re.split(r"\n\s*\n", found[1].strip())
    return "\n".join(_markdown_block_to_rst(block) for block in blocks)


def _markdown_block_to_rst(block):
    """A Markdown pipe table as a list-table; any other block as a paragraph."""
    lines = [line.strip() for line in block.strip().splitlines()]
    if not all(line.startswith("|") for line in lines):
        return " ".join(_markdown_cell_to_rst(line) for line in lines) + "\n"
    rows = [
        [_markdown_cell_to_rst(cell.strip()) for cell in line.strip("|").split("|")]
        for line in lines
        if not re.fullmatch(r"[|:\- ]+", line)  # no rule
    ]
    rst = [".. list-table::", "   :header-rows: 1", ""]
    for row in rows:
        rst += [f"   * - {row[0]}", *(f"     - {cell}" for cell in row[1:])]
    return "\n".join(rst) + "\n"


def _write_generated(name, text):
    """Write docs/generated/<name> if its text changed (keeps builds incremental)."""
    generated = DOCS / "generated"
    generated.mkdir(exist_ok=True)
    path = generated / name
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


def _on_builder_inited(app):
    _write_cli_help()
    _write_generated("readme_benchmarks.rst", _readme_benchmark_table())
    _write_generated("readme_demo_table.txt", DEMO_TABLE + "\n")
    for name in _undocumented_names():
        logger.warning(f"{name} is public but not in docs/api.rst")


def _quote_shape_names(app, what, name, obj, options, lines):
    """Quote attribute names in shapes, ``(n_features_in_,)``.

    Bare, their trailing underscore makes them reST link references.
    """
    for index, line in enumerate(lines):
        lines[index] = _SHAPE_NAME.sub(r"``\1``", line)


def _skip_member(app, what, name, obj, skip, options):
    return True if _SKIPPED_MEMBERS.fullmatch(name) else None


def setup(app):
    app.connect("builder-inited", _on_builder_inited)
    app.connect("autodoc-process-docstring", _quote_shape_names)
    app.connect("autodoc-skip-member", _skip_member)
