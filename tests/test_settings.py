"""Settings: defaults, REE_* and `.env` parsing, errors that name the variable, masked secrets."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ree.settings import Settings, SettingsError, get_settings, load_settings

SECRET = "sk-secret-do-not-print-7f3a"


def test_defaults(ree_settings: Settings) -> None:
    s = load_settings()  # from the (clean) environment: REE_HOME only
    assert s.home == ree_settings.home == Path.cwd().resolve()
    assert s.llm == "local" and s.local_model == "qwen2.5-coder-1.5b"
    assert s.chroma_url == "" and s.collection == "ree"
    assert (s.top_k, s.candidates, s.chunk_tokens, s.chunk_overlap) == (5, 40, 300, 40)
    assert s.embed_backend == "onnx-int8"
    assert s.ui_host == "127.0.0.1" and not s.ui_allow_open
    assert s.llm_api_key.get_secret_value() == "" and s.ui_auth.get_secret_value() == ""
    # derived paths follow home, so they cannot drift apart
    assert s.index_dir == s.home / "index"
    assert s.models_dir == s.home / "models"
    assert s.tiktoken_dir == s.home / "tiktoken"


def test_relative_home_is_made_absolute(ree_settings: Settings, monkeypatch) -> None:
    monkeypatch.setenv("REE_HOME", "data-here")
    s = load_settings()
    assert s.home.is_absolute() and s.home == Path.cwd().resolve() / "data-here"


def test_env_prefix_parsing(ree_settings: Settings, monkeypatch) -> None:
    monkeypatch.setenv("REE_TOP_K", "3")
    monkeypatch.setenv("REE_TEMPERATURE", "0.5")
    monkeypatch.setenv("REE_UI_ALLOW_OPEN", "true")
    monkeypatch.setenv("REE_CHROMA_URL", "http://127.0.0.1:8000/")
    monkeypatch.setenv("TOP_K", "9")  # no prefix: not ours
    s = load_settings()
    assert s.top_k == 3 and s.temperature == 0.5 and s.ui_allow_open is True
    assert s.chroma_url == "http://127.0.0.1:8000"  # trailing slash removed


def test_get_settings_is_cached_until_cleared(ree_settings: Settings, monkeypatch) -> None:
    default = Settings.model_fields["top_k"].default
    assert get_settings().top_k == default
    monkeypatch.setenv("REE_TOP_K", "4")
    assert get_settings().top_k == default  # cached
    get_settings.cache_clear()
    assert get_settings().top_k == 4


def test_dotenv_file_is_read_and_env_wins(ree_settings: Settings, monkeypatch) -> None:
    Path(".env").write_text("REE_TOP_K=3\nREE_COLLECTION=from-dotenv\nOTHER_TOOL=x\n")
    s = load_settings()
    assert s.top_k == 3 and s.collection == "from-dotenv"
    monkeypatch.setenv("REE_TOP_K", "5")
    assert load_settings().top_k == 5  # a real environment variable beats .env


@pytest.mark.parametrize(
    ("env", "names", "says"),
    [
        ({"REE_LLM": "gpt"}, ["REE_LLM"], "local"),
        ({"REE_TOP_K": "0"}, ["REE_TOP_K"], "greater than or equal to 1"),
        ({"REE_TOP_K": "abc"}, ["REE_TOP_K"], "integer"),
        ({"REE_CHROMA_URL": "localhost:8000"}, ["REE_CHROMA_URL"], "http://"),
        ({"REE_LLM": "openai"}, ["REE_LLM_BASE_URL"], "REE_LLM=openai"),
        ({"REE_LOCAL_MODEL": "foo"}, ["REE_LOCAL_MODEL"], "qwen2.5-coder-1.5b"),
        ({"REE_UI_AUTH": "nocolon"}, ["REE_UI_AUTH"], "user:password"),
        ({"REE_UI_AUTH": "user:"}, ["REE_UI_AUTH"], "user:password"),
        (
            {"REE_CHUNK_TOKENS": "100", "REE_CHUNK_OVERLAP": "100"},
            ["REE_CHUNK_OVERLAP", "REE_CHUNK_TOKENS"],
            "smaller",
        ),
    ],
)
def test_invalid_values_name_the_setting(
    ree_settings: Settings, monkeypatch, env: dict[str, str], names: list[str], says: str
) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(SettingsError) as info:
        load_settings()
    message = str(info.value)
    assert message.startswith("invalid configuration: ")
    for name in names:
        assert name in message
    assert says in message
    assert "settings:" not in message  # cross-field errors name their variables directly


def test_several_errors_are_all_reported(ree_settings: Settings, monkeypatch) -> None:
    monkeypatch.setenv("REE_TOP_K", "0")
    monkeypatch.setenv("REE_LLM", "gpt")
    with pytest.raises(SettingsError) as info:
        load_settings()
    assert "REE_TOP_K" in str(info.value) and "REE_LLM" in str(info.value)


def test_valid_openai_and_gguf_path_settings(ree_settings: Settings) -> None:
    s = load_settings(llm="openai", llm_base_url="http://127.0.0.1:11434/v1/", local_model="m.gguf")
    assert s.llm_base_url == "http://127.0.0.1:11434/v1" and s.local_model == "m.gguf"


def test_masked_hides_secrets(ree_settings: Settings) -> None:
    s = load_settings(
        llm_api_key=SECRET,
        ui_auth=f"admin:{SECRET}",
        llm="openai",
        llm_base_url=f"http://bob:{SECRET}@127.0.0.1:9/v1",
    )
    shown = s.masked()
    assert shown["REE_LLM_API_KEY"] == "****"
    assert shown["REE_UI_AUTH"] == "****"
    assert shown["REE_LLM_BASE_URL"] == "http://bob:****@127.0.0.1:9/v1"
    assert SECRET not in json.dumps(shown)
    # the SecretStr fields stay hidden in repr (tracebacks, logs) as well
    plain = load_settings(llm_api_key=SECRET, ui_auth=f"admin:{SECRET}")
    assert SECRET not in repr(plain) and SECRET not in str(plain)
    assert s.llm_api_key.get_secret_value() == SECRET  # still usable by the code
    # empty secrets stay visibly empty, and every field is listed
    assert ree_settings.masked()["REE_LLM_API_KEY"] == ""
    assert set(shown) == {f"REE_{n.upper()}" for n in Settings.model_fields}


def _ree(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("REE_")}
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-m", "interfaces", *args],
        cwd=cwd,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_ree_config_never_prints_the_key(ree_settings: Settings) -> None:
    run = _ree(
        ["config"], ree_settings.home, REE_HOME=str(ree_settings.home), REE_LLM_API_KEY=SECRET
    )
    assert run.returncode == 0, run.stderr
    assert SECRET not in run.stdout + run.stderr
    line = next(x for x in run.stdout.splitlines() if x.startswith("REE_LLM_API_KEY"))
    assert line.split()[-1] == "****"
    assert "REE_HOME" in run.stdout and str(ree_settings.home) in run.stdout


def test_ree_config_json_parses(ree_settings: Settings) -> None:
    run = _ree(
        ["config", "--json"],
        ree_settings.home,
        REE_HOME=str(ree_settings.home),
        REE_TOP_K="3",
        REE_LLM_API_KEY=SECRET,
    )
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout)
    assert data["REE_TOP_K"] == "3"
    assert data["REE_HOME"] == str(ree_settings.home)
    assert data["REE_LLM_API_KEY"] == "****"
    assert SECRET not in run.stdout


def test_ree_config_with_bad_setting_exits_2_with_one_line(ree_settings: Settings) -> None:
    run = _ree(["config"], ree_settings.home, REE_TOP_K="0")
    assert run.returncode == 2
    assert "REE_TOP_K" in run.stderr and "Traceback" not in run.stderr
    assert run.stderr.startswith("error: invalid configuration")
