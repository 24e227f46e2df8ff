"""Who may connect: the UI answers from private documents, so it is local unless told otherwise.

Listening on anything but a loopback address (127.x, ::1, localhost) exposes the library to the
network; that needs a password (REE_UI_AUTH=user:password, passed to Gradio's login page) or the
explicit opt-out REE_UI_ALLOW_OPEN=true. Otherwise the UI refuses to start with one line saying
which of the two to set. A password, when set, is enforced on localhost too. Gradio's public
`share` tunnel is never offered: it would send the documents through a third-party relay.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from ree.settings import Settings, SettingsError

_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}


class ExposureError(SettingsError):
    """The UI would listen beyond localhost without a password and without the opt-out."""


def is_local_host(host: str) -> bool:
    host = (host or "").strip().strip("[]").lower()
    if host in _LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def auth_for(settings: Settings, host: str) -> tuple[str, str] | None:
    """The (user, password) to require, or None; raises ExposureError for an unsafe setup."""
    raw = settings.ui_auth.get_secret_value()
    if raw:
        user, _, password = raw.partition(":")
        return user, password
    if is_local_host(host) or settings.ui_allow_open:
        return None
    raise ExposureError(
        f"refusing to listen on {host} without a password: set REE_UI_AUTH=user:password "
        "(or REE_UI_ALLOW_OPEN=true to let anyone on your network in)"
    )


def launch_options(
    settings: Settings, host: str | None = None, port: int | None = None
) -> dict[str, Any]:
    """Keyword arguments for `Blocks.launch`, after the exposure check."""
    host = host or settings.ui_host
    return {
        "server_name": host,
        "server_port": port or settings.ui_port,
        "auth": auth_for(settings, host),
        "auth_message": "Rare-Earth Insights: sign in with the REE_UI_AUTH user and password.",
        "share": False,
    }
