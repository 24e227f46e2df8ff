"""`python -m ingest PATH...` is `ree ingest PATH...`."""

import sys

from ree.cli import main

if __name__ == "__main__":
    sys.exit(main(["ingest", *sys.argv[1:]]))
