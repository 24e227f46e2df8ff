"""Chat models behind one small interface: the packaged local model, or any OpenAI-compatible server.

Both are LangChain chat models, so the answer chain (`prompt | model | parser`) does not care which
one it gets. The local model runs in-process with llama.cpp; llama.cpp is not thread-safe, so every
call takes one process-wide lock (other users' retrieval keeps running meanwhile). llama.cpp keeps
the KV cache of the previous prompt and re-evaluates only what changed after the longest common
prefix, so a fixed system prompt at the start of every request is computed once and then reused.

Errors from either provider become `LLMUnavailable` with one sentence naming the setting to fix.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import ConfigDict, PrivateAttr

from ree.settings import Settings, get_settings

_LLAMA_LOCK = threading.Lock()


class LLMUnavailable(RuntimeError):
    """The language model cannot be reached or loaded; the message is meant for the user."""


def _usable_cores() -> int:
    """Cores this process may run on (a container's CPU set, not the host's core count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 2


def _role(message: BaseMessage) -> str:
    return {"human": "user", "ai": "assistant", "system": "system"}.get(message.type, "user")


class LocalChatModel(BaseChatModel):
    """A GGUF model run in-process by llama-cpp-python, exposed as a streaming LangChain chat model."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    model_path: str
    n_ctx: int = 4096
    n_threads: int = 0
    max_tokens: int = 350
    temperature: float = 0.0
    _llama: Any = PrivateAttr(default=None)
    load_seconds: float = 0.0

    @property
    def _llm_type(self) -> str:
        return "llama-cpp"

    @property
    def model_name(self) -> str:
        return os.path.basename(self.model_path)

    def load(self) -> Any:
        """The llama.cpp model, loaded on first use (about 3 s for the packaged 1.1 GB model)."""
        if self._llama is None:
            try:
                from llama_cpp import Llama
            except ImportError as exc:
                raise LLMUnavailable(
                    f"llama-cpp-python is not installed ({exc}): run `make install`, or set "
                    "REE_LLM=openai to use a server"
                ) from None
            start = time.perf_counter()
            try:
                self._llama = Llama(
                    model_path=self.model_path,
                    n_ctx=self.n_ctx,
                    n_threads=self.n_threads or _usable_cores(),
                    n_batch=512,
                    verbose=False,
                )
            except (ValueError, RuntimeError, OSError) as exc:
                # llama.cpp says only "Failed to load model from file": add what to do about it.
                raise LLMUnavailable(
                    f"cannot load the local model {self.model_path} ({exc}): check REE_LOCAL_MODEL "
                    "and free memory (the packaged model needs ~1.5 GB), or run `ree doctor`"
                ) from None
            self.load_seconds = time.perf_counter() - start
        return self._llama

    def _params(self, stop: list[str] | None, kwargs: dict[str, Any]) -> dict[str, Any]:
        return {
            "max_tokens": kwargs.get("max_tokens", self.max_tokens),
            "temperature": kwargs.get("temperature", self.temperature),
            "stop": stop or [],
            "seed": 0,
        }

    def _messages(self, messages: list[BaseMessage]) -> list[dict[str, str]]:
        return [{"role": _role(m), "content": str(m.content)} for m in messages]

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        text = "".join(c.text for c in self._stream(messages, stop, run_manager, **kwargs))
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        with _LLAMA_LOCK:
            llama = self.load()
            params = self._params(stop, kwargs)
            # the model file's own template formats every chat here (`chat_template.default`):
            # only then does the continuation's prompt start with the chat prompt's tokens
            template = llama.metadata.get("tokenizer.chat_template")
            own = llama.chat_format == "chat_template.default" and llama.chat_handler is None
            if messages and messages[-1].type == "ai" and template and own:
                stream = self._continued(llama, template, messages, params)
            else:
                stream = llama.create_chat_completion(
                    messages=self._messages(messages), stream=True, **params
                )
            for part in stream:
                choice = part["choices"][0]
                delta = choice.get("delta", {}).get("content") or choice.get("text")
                if not delta:
                    continue
                chunk = ChatGenerationChunk(message=AIMessageChunk(content=delta))
                if run_manager:
                    run_manager.on_llm_new_token(delta, chunk=chunk)
                yield chunk

    def _continued(
        self, llama: Any, template: str, messages: list[BaseMessage], params: dict[str, Any]
    ) -> Iterator[dict]:
        """Stream the model's continuation of the answer's opening (the last, "ai", message):
        the conversation is formatted the way `create_chat_completion` formats it (the same
        tokens, so llama.cpp's KV cache of the earlier prompt is kept), the opening follows the
        assistant header, and the model writes on from there instead of writing it itself."""
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        def text_of(token: int) -> str:
            return llama._model.token_get_text(token) if token != -1 else ""

        formatter = Jinja2ChatFormatter(
            template=template,
            eos_token=text_of(llama.token_eos()),
            bos_token=text_of(llama.token_bos()),
            stop_token_ids=[llama.token_eos()],
        )
        asked = formatter(messages=self._messages(messages[:-1]))
        opening = str(messages[-1].content)
        tokens = llama.tokenize(
            (asked.prompt + opening).encode(), add_bos=not asked.added_special, special=True
        )
        ends = asked.stop if isinstance(asked.stop, list) else [asked.stop] if asked.stop else []
        return llama.create_completion(
            prompt=tokens, stream=True, **{**params, "stop": params["stop"] + ends}
        )

    def count_prompt_tokens(self, text: str) -> int:
        with _LLAMA_LOCK:
            return len(self.load().tokenize(text.encode(), add_bos=False, special=True))


def _openai_model(settings: Settings) -> BaseChatModel:
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(
        base_url=settings.llm_base_url,
        api_key=settings.llm_api_key.get_secret_value() or "not-needed",
        model=settings.llm_model or "default",
        temperature=settings.temperature,
        max_tokens=settings.max_answer_tokens,
        timeout=settings.llm_timeout,
        max_retries=1,
    )


def explain_llm_error(exc: BaseException, settings: Settings | None = None) -> str:
    """Turn a provider exception into one sentence that names the setting to fix."""
    settings = settings or get_settings()
    if isinstance(exc, LLMUnavailable):
        return str(exc)
    name = type(exc).__name__
    text = str(exc)
    if settings.llm == "openai":
        where = f"REE_LLM_BASE_URL={settings.llm_base_url}"
        if "Connection" in name or "connect" in text.lower():
            return (
                f"the LLM server at {settings.llm_base_url} is unreachable: start it or fix {where}"
            )
        if "Timeout" in name:
            return f"the LLM server timed out after {settings.llm_timeout:.0f} s: raise REE_LLM_TIMEOUT or check {where}"
        if "NotFound" in name or "404" in text:
            return f"the server does not know model {settings.llm_model!r}: fix REE_LLM_MODEL"
        if "Authentication" in name or "401" in text:
            return "the LLM server refused the API key: fix REE_LLM_API_KEY"
        return f"the LLM server failed ({name}: {text[:200]}); check {where} and REE_LLM_MODEL"
    return (
        f"the local model failed ({name}: {text[:200]}); check REE_LOCAL_MODEL or run `ree doctor`"
    )


_MODELS: dict[tuple, BaseChatModel] = {}
_MODELS_LOCK = threading.Lock()
_MODEL_KEYS = (
    "llm",
    "llm_base_url",
    "llm_model",
    "llm_api_key",
    "llm_timeout",
    "local_model",
    "llm_threads",
    "llm_context",
    "max_answer_tokens",
    "temperature",
    "home",
)


def _build_model(settings: Settings) -> BaseChatModel:
    if settings.llm == "openai":
        return _openai_model(settings)
    from ree.runtime.local_model import ModelFileError, resolve_model_path

    try:
        path = resolve_model_path(settings)
    except ModelFileError as exc:
        raise LLMUnavailable(str(exc)) from None
    return LocalChatModel(
        model_path=str(path),
        n_ctx=settings.llm_context,
        n_threads=settings.llm_threads,
        max_tokens=settings.max_answer_tokens,
        temperature=settings.temperature,
    )


def get_chat_model(settings: Settings | None = None) -> BaseChatModel:
    """The configured chat model (one instance per configuration and process: loading is slow)."""
    settings = settings or get_settings()
    key = tuple(
        str(getattr(settings, k)) if k != "llm_api_key" else settings.llm_api_key.get_secret_value()
        for k in _MODEL_KEYS
    )
    with _MODELS_LOCK:
        if key not in _MODELS:
            _MODELS[key] = _build_model(settings)
        return _MODELS[key]
