"""`python -m eval qa|compare|beir ...`: the same as `ree eval ...` (for checkouts without the
`ree` script on PATH)."""

from __future__ import annotations

import sys

from ree.cli import main

if __name__ == "__main__":
    sys.exit(main(["eval", *sys.argv[1:]]))
