"""Build hook for the optional compiled kernels; everything else is in pyproject.toml.

``cleaner._native`` (cleaner/_native.c: the boilerplate line model's per-character pass and
forest loop, ~20% of the stage's time on the dev pages, see bench/results/boilerplate_speed.md)
needs only a C compiler and the Python headers.  It is ``optional``: where it does not compile,
the install goes on and the package runs its numpy path, which gives the same features and scores
(tests/boilerplate/test_native.py checks the two against each other).
"""

from setuptools import Extension, setup

setup(ext_modules=[Extension("cleaner._native", ["cleaner/_native.c"], optional=True)])
