"""`ree chat`: start the Gradio UI (`app.py`) on REE_UI_HOST:REE_UI_PORT (127.0.0.1:7860).

There is deliberately no `--share`: a Gradio share link relays the UI, and so the documents,
through a third-party server. To reach the UI from another machine, listen on its address with
`--host` and set REE_UI_AUTH=user:password (see `ree.ui.server`).
"""

from __future__ import annotations

import argparse

from ree.cli import _EXTENSIONS, _fail, command


@command("chat")
def cmd_chat(args: argparse.Namespace) -> int:
    import app

    try:
        return app.serve(args.host, args.port, args.collection)
    except app.UIUnavailable as exc:
        return _fail(str(exc))
    except OSError as exc:
        if isinstance(exc, FileNotFoundError | PermissionError):
            raise  # ree.cli turns these into one line itself
        return _fail(str(exc))


def _register(sub: argparse._SubParsersAction) -> None:
    import app

    p = sub.add_parser("chat", help="start the chat UI in your browser (Gradio)")
    app.add_arguments(p)


_EXTENSIONS.append(_register)
