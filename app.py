"""Rare-Earth Insights chat UI: `python app.py [--host H] [--port P] [--collection C]`.

The same as `ree chat`. The UI itself is `interfaces.ui.app`; `create_app` is re-exported here
for notebooks and tests (`from app import create_app; create_app().launch()`).
"""

import sys

from interfaces.cli import main
from interfaces.ui.app import create_app

__all__ = ["create_app", "main"]

if __name__ == "__main__":
    sys.exit(main(["chat", *sys.argv[1:]]))
