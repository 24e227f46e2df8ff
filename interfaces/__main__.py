"""`python -m interfaces ...` is the `ree` command."""

import sys

from interfaces.cli import main

if __name__ == "__main__":
    sys.exit(main())
