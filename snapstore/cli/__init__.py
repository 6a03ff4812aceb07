"""The `snap` command line (layer L5).

One module per command or command group. A command parses its options, calls one engine, and
formats the result as text or `--json`. Errors become exit codes in one place (`exit_codes.py`);
only this package imports click.
"""
