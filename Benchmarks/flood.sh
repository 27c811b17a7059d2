#!/usr/bin/env bash
# What a flood of wrong sign-ins from one client IP costs, on a release build with production
# Argon2id parameters and default limits (30 sign-ins per minute per IP, checked before any
# hashing). Prints, never asserts:
#   - server CPU seconds spent on FLOOD (default 1,000) wrong sign-ins from one IP, and per request;
#   - how many of them were refused by the rate limit (429) versus checked (401/423);
#   - p50/p99 of a legitimate user's GET /api/v1/session before and during the flood.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
echo "building keyward (release)…" >&2
swift build --package-path "$root" --scratch-path "$root/.build-release" -c release --product keyward >&2
binary="$root/.build-release/release/keyward"
data="$(mktemp -d)"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
"$binary" serve --data-dir "$data" --port "$port" --set server.logLevel=error >"$data/server.log" 2>&1 &
server=$!
trap 'kill -TERM $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done

FLOOD="${FLOOD:-1000}" python3 - "$port" "$server" <<'PY'
import http.client, json, os, statistics, sys, threading, time
port, pid = int(sys.argv[1]), int(sys.argv[2])
flood = int(os.environ["FLOOD"])
ticks = os.sysconf("SC_CLK_TCK")

def cpu_seconds():
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / ticks

def call(connection, method, path, body=None, token=None, forwarded=None):
    headers = {"Content-Type": "application/json"}
    if token: headers["Authorization"] = "Bearer " + token
    connection.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
    response = connection.getresponse()
    return response.status, response.read()

connection = http.client.HTTPConnection("127.0.0.1", port)
_, started = call(connection, "POST", "/api/v1/registrations", {"identifier": "legit@example.com", "password": "Lantern-Quartz-27"})
registration = json.loads(started)["registrationId"]
code = None
while code is None:
    _, mail = call(connection, "GET", "/dev/mailbox.json")
    code = next((m["code"] for m in json.loads(mail) if m["to"] == "legit@example.com"), None)
    time.sleep(0.05)
_, verified = call(connection, "POST", f"/api/v1/registrations/{registration}/verify", {"code": code})
token = json.loads(verified)["session"]["token"]

def measure_sessions(stop, out):
    c = http.client.HTTPConnection("127.0.0.1", port)
    while not stop.is_set():
        t = time.perf_counter()
        status, _ = call(c, "GET", "/api/v1/session", token=token)
        out.append((time.perf_counter() - t) * 1000)
        assert status == 200, status
        time.sleep(0.005)

def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))]

baseline, stop = [], threading.Event()
t = threading.Thread(target=measure_sessions, args=(stop, baseline)); t.start(); time.sleep(3); stop.set(); t.join()

statuses, lock = {}, threading.Lock()
def attack(count):
    c = http.client.HTTPConnection("127.0.0.1", port)
    for _ in range(count):
        status, _ = call(c, "POST", "/api/v1/login", {"identifier": "legit@example.com", "password": "Wrong-Passw0rd"})
        with lock: statuses[status] = statuses.get(status, 0) + 1

during, stop = [], threading.Event()
watcher = threading.Thread(target=measure_sessions, args=(stop, during)); watcher.start()
cpu_before, wall = cpu_seconds(), time.perf_counter()
workers = [threading.Thread(target=attack, args=(flood // 8,)) for _ in range(8)]
for w in workers: w.start()
for w in workers: w.join()
wall, cpu = time.perf_counter() - wall, cpu_seconds() - cpu_before
stop.set(); watcher.join()

print(f"flood: {sum(statuses.values())} wrong sign-ins from one IP in {wall:.2f} s; answers {dict(sorted(statuses.items()))}")
print(f"server CPU for the flood: {cpu:.3f} s ({cpu * 1000 / sum(statuses.values()):.3f} ms per request)")
print(f"legitimate GET /api/v1/session: baseline p50 {percentile(baseline, 0.5):.2f} ms, p99 {percentile(baseline, 0.99):.2f} ms "
      f"({len(baseline)} requests); during flood p50 {percentile(during, 0.5):.2f} ms, p99 {percentile(during, 0.99):.2f} ms "
      f"({len(during)} requests)")
PY
