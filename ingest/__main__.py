"""`python -m ingest ...` is `ree ingest ...` (for checkouts without the `ree` script on PATH).

An entry point, not library code: the import-linter contract lists it as the one exception."""

import sys

from interfaces.cli import main

if __name__ == "__main__":
    sys.exit(main(["ingest", *sys.argv[1:]]))
