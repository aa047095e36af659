"""Sphinx configuration: numpydoc API pages, a sphinx-gallery of examples, Markdown pages."""

import os
import sys

sys.path.insert(0, os.path.abspath(".."))

import skgan  # noqa: E402

project = "skgan"
author = "skgan developers"
release = version = skgan.__version__
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "myst_parser",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "auto_examples/*.ipynb", "auto_examples/*.py.md5"]
autosummary_generate = True
templates_path = ["_templates"]
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
html_theme = "alabaster"
html_static_path = []
myst_heading_anchors = 3
# Examples run the settings they describe (there is no fast mode): the digits
# examples train in seconds, the MNIST one trains briefly on a subset and says so.
# Real MNIST lies in shared/data/mnist beside the repository.
_mnist = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "data")
os.environ.setdefault("SKGAN_DATA", os.path.normpath(os.path.join(_mnist, "mnist")))
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "download_all_examples": False,
    "remove_config_comments": True,
}
