"""Build hook for the optional compiled kernels; everything else is in pyproject.toml.

``cleaner._native`` (cleaner/_native.c: the language stage's line pass and fastText inference, the
boilerplate line model's per-character pass, forests, literal scans and rule filter, and the garble
featuriser's hashing and sentence model; see bench/results/*speed*.md) needs only a C compiler and
the Python headers.  It is ``optional``: where it does not compile, the install goes on and the
package runs its Python/numpy path, which gives the same answers (tests/language/test_language_native.py,
tests/boilerplate/test_native.py and tests/garble/test_nn.py, test_vec.py, test_model_native.py
check the two against each other).
"""

import sys

from setuptools import Extension, setup

# The kernels must round like numpy: no fused multiply-add contractions (GCC contracts a * b + c
# by default wherever the target has FMA, e.g. under CFLAGS=-march=native).
ARGS = [] if sys.platform == "win32" else ["-ffp-contract=off"]

setup(ext_modules=[Extension("cleaner._native", ["cleaner/_native.c"], extra_compile_args=ARGS, optional=True)])
