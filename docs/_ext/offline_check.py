"""Sphinx extension: warn about any page that loads a file from the network.

The documentation must work offline: MathJax, the theme's fonts and scripts
and the gallery's files are all copied into the build. A script, style
sheet, font, image or frame whose address starts with ``http:``, ``https:``
or ``//`` would load from the network, so each one is a warning, which
``-W`` makes an error. Plain links (``<a href>``) load nothing until
followed, and neither does a ``<link>`` that is no style sheet, icon or
preload (``rel="canonical"``, for instance).
"""

import re
from pathlib import Path

from sphinx.util import logging

logger = logging.getLogger(__name__)

_TAG = re.compile(r"<(script|img|link|iframe|source|embed)\b[^>]*>", re.IGNORECASE)
_ADDRESS = re.compile(r"\b(?:src|href)=[\"']((?:https?:)?//[^\"']+)", re.IGNORECASE)
_LOADING_REL = re.compile(
    r"\brel=[\"'][^\"']*\b(?:stylesheet|icon|preload|modulepreload)\b", re.IGNORECASE
)


def remote_resources(html):
    """The remote addresses an HTML page loads from (scripts, styles, images).

    Examples
    --------
    >>> remote_resources('<script src="https://cdn.example/m.js"></script>'
    ...                  '<link rel="canonical" href="https://example.org/">'
    ...                  '<a href="https://example.org">a link</a>')
    ['https://cdn.example/m.js']
    """
    found = []
    for tag in _TAG.finditer(html):
        if tag[1].lower() == "link" and not _LOADING_REL.search(tag[0]):
            continue
        found += _ADDRESS.findall(tag[0])
    return found


def _check_output(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    for page in sorted(Path(app.outdir).rglob("*.html")):
        for address in remote_resources(page.read_text(encoding="utf-8")):
            name = page.relative_to(app.outdir)
            logger.warning(f"{name} loads {address} from the network")


def setup(app):
    app.connect("build-finished", _check_output)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
