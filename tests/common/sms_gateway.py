"""A stand-in for a government SMS gateway: its HTTP API, served for real on 127.0.0.1.

It answers the API the HTTP backend speaks (POST JSON {mobile, content, request_id} with a bearer
token → {"code": 0, "message_id"}), records every request, and can be told to fail the next few
(HTTP 503) or to refuse (code 1001), so the retries are exercised over a real socket.
"""

import contextlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOKEN = "test-gateway-token"


class Gateway:
    def __init__(self):
        self.requests: list[dict] = []  # every request, as received
        self.accepted: list[dict] = []  # the messages it took (sent, as far as a gateway knows)
        self.fail_next = 0
        self.refuse = False
        self.lock = threading.Lock()
        self.url = ""

    def answer(self, headers, body: bytes) -> tuple[int, dict]:
        with self.lock:
            try:
                message = json.loads(body)
            except ValueError:
                return 400, {"code": 400}
            self.requests.append(message)
            if headers.get("Authorization") != f"Bearer {TOKEN}":
                return 401, {"code": 401}
            if self.fail_next:
                self.fail_next -= 1
                return 503, {"code": 503}
            if self.refuse:
                return 200, {"code": 1001, "message": "号码在黑名单"}
            self.accepted.append(message)
            return 200, {"code": 0, "message_id": f"m{len(self.accepted)}"}


@contextlib.contextmanager
def serving():
    gateway = Gateway()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            status, answer = gateway.answer(self.headers, self.rfile.read(length))
            payload = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    gateway.url = f"http://127.0.0.1:{server.server_port}/sms/send"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield gateway
    finally:
        server.shutdown()
        server.server_close()
