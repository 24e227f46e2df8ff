"""Fixtures shared by the whole suite.

- `_no_network` (autouse, session): any connection to a non-loopback address raises, and the
  attempt is recorded; `_no_network_attempts` (autouse) fails the test that made one even if the
  code under test swallowed the error. Every test therefore proves that nothing reaches the
  network. Loopback (127.0.0.0/8, ::1, localhost) and AF_UNIX stay open, so a real `chroma run`
  server or a local OpenAI-compatible stub on 127.0.0.1 works.
- `ree_settings`: a `Settings` whose REE_HOME is the test's tmp_path, with no REE_* variable or
  stray `.env` leaking in from the developer's shell or checkout.
- `embedder`: one real `Embedder` per session (the ONNX export takes seconds; do it once), built
  in its own session REE_HOME.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from ree.settings import Settings, get_settings, load_settings

_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}


class NetworkBlocked(ConnectionRefusedError):
    """Raised by the test guard for a non-loopback connection.

    A ConnectionRefusedError (an OSError) so that code under test takes its normal "unreachable"
    path; the recorded attempt still fails the test.
    """


_ATTEMPTS: list[str] = []


def _is_loopback_host(host: object) -> bool:
    if isinstance(host, bytes):
        host = host.decode(errors="replace")
    if not isinstance(host, str):
        return False
    host = host.strip("[]").split("%", 1)[0]  # "[::1]", "fe80::1%eth0"
    if host.lower() in _LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name other than localhost would need DNS: not local


def _allowed(address: object) -> bool:
    """AF_UNIX paths and other non-IP families pass; (host, port, ...) tuples must be loopback."""
    if isinstance(address, (str, bytes)) or not isinstance(address, tuple) or not address:
        return True
    return _is_loopback_host(address[0])


def _block(address: object) -> NetworkBlocked:
    _ATTEMPTS.append(repr(address))
    return NetworkBlocked(f"test network guard: connection to {address!r} blocked (not loopback)")


@pytest.fixture(autouse=True, scope="session")
def _no_network() -> Iterator[None]:
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_create_connection = socket.create_connection
    real_getaddrinfo = socket.getaddrinfo

    def connect(self: socket.socket, address: object) -> None:
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _allowed(address):
            raise _block(address)
        return real_connect(self, address)

    def connect_ex(self: socket.socket, address: object) -> int:
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _allowed(address):
            raise _block(address)
        return real_connect_ex(self, address)

    def create_connection(address: tuple, *args: object, **kwargs: object) -> socket.socket:
        if not _allowed(address):
            raise _block(address)
        return real_create_connection(address, *args, **kwargs)

    def getaddrinfo(host: object, *args: object, **kwargs: object) -> list:
        # Resolving a remote name is itself network traffic (DNS); numeric addresses are fine,
        # connecting to them is what `connect` guards.
        if host is None or host in ("", b"") or _is_loopback_host(host) or _numeric(host):
            return real_getaddrinfo(host, *args, **kwargs)
        raise _block((host, *args[:1]))

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(socket.socket, "connect", connect)
        mp.setattr(socket.socket, "connect_ex", connect_ex)
        mp.setattr(socket, "create_connection", create_connection)
        mp.setattr(socket, "getaddrinfo", getaddrinfo)
        yield


def _numeric(host: object) -> bool:
    if isinstance(host, bytes):
        host = host.decode(errors="replace")
    try:
        ipaddress.ip_address(str(host).strip("[]").split("%", 1)[0])
    except ValueError:
        return False
    return True


@pytest.fixture(autouse=True)
def _no_network_attempts() -> Iterator[None]:
    """Fail a test whose code tried the network, even if it caught the guard's error."""
    _ATTEMPTS.clear()
    yield
    attempts, _ATTEMPTS[:] = list(_ATTEMPTS), []
    if attempts:
        pytest.fail(f"test tried to reach the network: {', '.join(attempts[:5])}", pytrace=False)


@pytest.fixture
def network_attempts() -> list[str]:
    """The guard's record, for a test that provokes a blocked connection on purpose.

    Clear it (`network_attempts.clear()`) after checking, or the test fails at teardown.
    """
    return _ATTEMPTS


def _clean_ree_env(mp: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key.startswith("REE_"):
            mp.delenv(key)
    # seed_tiktoken_cache() points this at the settings' home; restore it after the test
    mp.delenv("TIKTOKEN_CACHE_DIR", raising=False)


@pytest.fixture
def ree_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """Settings with REE_HOME=tmp_path and nothing inherited from the shell or a `.env`.

    The working directory becomes tmp_path (so only a `.env` the test writes there is read), and
    REE_HOME is exported for code that calls `get_settings()` itself. Tests that need other values
    set REE_* variables with monkeypatch and call `load_settings()` or `get_settings()` again.
    """
    _clean_ree_env(monkeypatch)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("REE_HOME", str(tmp_path))
    get_settings.cache_clear()
    yield load_settings(home=tmp_path)
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def embedder_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The session's REE_HOME for the embedder: holds the ONNX file exported once per session."""
    return tmp_path_factory.mktemp("embedder-home")


@pytest.fixture(scope="session")
def embedder(embedder_home: Path):  # -> ree.runtime.embeddings.Embedder
    """The real default (onnx-int8) embedder, exported into the session home on first use."""
    from ree.runtime.embeddings import Embedder

    with pytest.MonkeyPatch.context() as mp:
        _clean_ree_env(mp)
        mp.setenv("REE_HOME", str(embedder_home))
        get_settings.cache_clear()
        try:
            emb = Embedder(settings=load_settings(home=embedder_home))
        finally:
            get_settings.cache_clear()
    return emb


#: Folders where a developer's earlier run may already hold the verified packaged model.
_VERIFIED_MODEL_DIRS = (Path(__file__).resolve().parents[1] / ".ree" / "models",)


@pytest.fixture(scope="session")
def llm_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A session REE_HOME holding the packaged 1.5B model, ready for `resolve_model_path`.

    Assembling copies 1.1 GB (~10 s). If a developer's REE_HOME already holds a copy with its
    `.verified` marker and the right size, it is hard-linked in instead (no copy, same filesystem
    only); otherwise the real assembly runs. Either way the product code later takes its normal
    packaged-model path, and only slow tests use this fixture.
    """
    from ree.runtime.local_model import CATALOG, assemble

    model = CATALOG["qwen2.5-coder-1.5b"]
    home = tmp_path_factory.mktemp("llm-home")
    models = home / "models"
    models.mkdir()
    extra = os.environ.get("REE_TEST_VERIFIED_MODELS")  # e.g. another REE_HOME/models
    for folder in ([Path(extra)] if extra else []) + list(_VERIFIED_MODEL_DIRS):
        src = folder / model.filename
        marker = src.with_suffix(".verified")
        try:
            if marker.read_text().strip() == model.sha256 and src.stat().st_size == model.size:
                os.link(src, models / model.filename)
                os.link(marker, models / marker.name)
                break
        except OSError:
            for name in (model.filename, marker.name):
                (models / name).unlink(missing_ok=True)
    assemble(model, models)  # returns at once for a linked verified copy
    yield home
    # pytest keeps the last sessions' tmp folders: do not leave 1.1 GB in each of them
    (models / model.filename).unlink(missing_ok=True)
