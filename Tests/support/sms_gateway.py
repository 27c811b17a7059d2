"""A stand-in SMS gateway (a real HTTP server) for Keyward's delivery tests.

Prints one line, ``ready <port>``, once it listens on 127.0.0.1, then writes every SMS it
accepts to ``<out>/<n>.json`` before answering 202, so when a client sees the answer, the file
is there. --token makes it demand that bearer token (401 otherwise); --refuse NUMBER answers 422
for that number, --busy NUMBER answers 503. It ends when the process that started it ends.
"""
import argparse
import json
import os
import signal
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def main():
    parent = os.getppid()
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--token")
    parser.add_argument("--refuse", action="append", default=[])
    parser.add_argument("--busy", action="append", default=[])
    options = parser.parse_args()
    lock = threading.Lock()
    count = [0]

    class Gateway(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def answer(self, status, body):
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self):
            raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if options.token and self.headers.get("Authorization") != f"Bearer {options.token}":
                return self.answer(401, {"error": "unauthorized"})
            try:
                payload = json.loads(raw)
            except ValueError:
                return self.answer(400, {"error": "not json"})
            if payload.get("to") in options.refuse:
                return self.answer(422, {"error": "not a mobile number"})
            if payload.get("to") in options.busy:
                return self.answer(503, {"error": "busy"})
            with lock:
                count[0] += 1
                path = os.path.join(options.out, f"{count[0]}.json")
                record = {"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()},
                          "payload": payload}
                with open(path + ".tmp", "w") as handle:
                    json.dump(record, handle)
                os.rename(path + ".tmp", path)
            self.answer(202, {"accepted": True})

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = ThreadingHTTPServer(("127.0.0.1", port), Gateway)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"ready {port}", flush=True)
    while os.getppid() == parent:
        time.sleep(0.2)
    server.shutdown()


if __name__ == "__main__":
    main()
