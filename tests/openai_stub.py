"""A minimal OpenAI-compatible HTTP server on 127.0.0.1 for provider tests.

It speaks the two endpoints `ree` uses (`GET /v1/models`, `POST /v1/chat/completions`, streamed as
server-sent events or not) and answers with `tests.fakes.ExtractiveChatModel`'s logic, so the real
`ChatOpenAI` client, HTTP, streaming and error paths are exercised end to end. Knobs simulate the
failures users meet: an unknown model (404), a slow server (time-out), a refused key (401).
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from langchain_core.messages import HumanMessage, SystemMessage

from fakes import ExtractiveChatModel


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        """A client that gave up (the time-out test) is expected; do not print a traceback."""


class OpenAIStub:
    def __init__(
        self,
        models: tuple[str, ...] = ("stub-model",),
        delay: float = 0.0,
        api_key: str | None = None,
    ) -> None:
        self.models = models
        self.delay = delay
        self.api_key = api_key
        self.requests: list[dict] = []
        self.server = _QuietServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def __enter__(self) -> OpenAIStub:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:  # keep test output clean
                pass

            def _json(self, code: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _authorized(self) -> bool:
                if stub.api_key is None:
                    return True
                if self.headers.get("Authorization") == f"Bearer {stub.api_key}":
                    return True
                self._json(401, {"error": {"message": "invalid api key", "type": "auth"}})
                return False

            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                if not self._authorized():
                    return
                if self.path.rstrip("/") == "/v1/models":
                    self._json(
                        200,
                        {
                            "object": "list",
                            "data": [{"id": m, "object": "model"} for m in stub.models],
                        },
                    )
                else:
                    self._json(404, {"error": {"message": "not found"}})

            def do_POST(self) -> None:  # noqa: N802
                if not self._authorized():
                    return
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                stub.requests.append(body)
                if body.get("model") not in stub.models:
                    self._json(
                        404,
                        {
                            "error": {
                                "message": f"model {body.get('model')} not found",
                                "type": "invalid_request_error",
                                "code": "model_not_found",
                            }
                        },
                    )
                    return
                time.sleep(stub.delay)
                msgs = [
                    SystemMessage(content=m["content"])
                    if m["role"] == "system"
                    else HumanMessage(content=m["content"])
                    for m in body["messages"]
                ]
                text = ExtractiveChatModel().reply(msgs)
                if not body.get("stream"):
                    self._json(
                        200,
                        {
                            "id": "stub",
                            "object": "chat.completion",
                            "created": 0,
                            "model": body["model"],
                            "choices": [
                                {
                                    "index": 0,
                                    "finish_reason": "stop",
                                    "message": {"role": "assistant", "content": text},
                                }
                            ],
                            "usage": {
                                "prompt_tokens": 1,
                                "completion_tokens": 1,
                                "total_tokens": 2,
                            },
                        },
                    )
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                for word in text.split(" "):
                    chunk = {
                        "id": "stub",
                        "object": "chat.completion.chunk",
                        "created": 0,
                        "model": body["model"],
                        "choices": [
                            {"index": 0, "delta": {"content": word + " "}, "finish_reason": None}
                        ],
                    }
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                end = {
                    "id": "stub",
                    "object": "chat.completion.chunk",
                    "created": 0,
                    "model": body["model"],
                    "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
                }
                self.wfile.write(f"data: {json.dumps(end)}\n\ndata: [DONE]\n\n".encode())

        return Handler
