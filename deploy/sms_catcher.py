"""A stand-in SMS gateway for deploy/compose.yaml: prints each SMS the webhook backend posts."""

import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Catcher(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # health check
        self.send_response(200)
        self.end_headers()

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
        print(f"SMS to {body.get('to')}: {body.get('text')}", flush=True)
        self.send_response(204)
        self.end_headers()

    def log_message(self, *_: object) -> None:
        return


if __name__ == "__main__":
    print("sms catcher on :9000", file=sys.stderr, flush=True)
    ThreadingHTTPServer(("0.0.0.0", 9000), Catcher).serve_forever()  # noqa: S104 - inside its container
