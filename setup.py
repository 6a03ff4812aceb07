"""Builds the compiled chunker; all other metadata lives in pyproject.toml."""

import os

from setuptools import Extension, setup

# Warnings are errors in CI (CI=true) so that a new warning cannot land unnoticed; a user's
# compiler with other warnings still builds.
strict = ["-Werror"] if os.environ.get("CI") or os.environ.get("SNAPSTORE_WERROR") else []

setup(
    ext_modules=[
        Extension(
            "snapstore.chunker._fastcdc",
            sources=["native/fastcdc.c"],
            extra_compile_args=["-O3", "-std=c11", "-Wall", "-Wextra", "-Wshadow", *strict],
        )
    ]
)
