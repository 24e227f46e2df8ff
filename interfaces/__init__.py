"""The doors to the product: the `ree` command line, the Gradio chat UI, `ree doctor`, `ree setup`.

Everything here is a thin layer over the libraries (`ingest`, `rag`, `eval`) and the foundation
(`ree`); nothing outside this package imports it (an import-linter contract in pyproject.toml
keeps it so). `python -m interfaces ...` is the `ree` command.
"""
