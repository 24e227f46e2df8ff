"""`python -m ree ...` is the `ree` command."""

import sys

from ree.cli import main

if __name__ == "__main__":
    sys.exit(main())
