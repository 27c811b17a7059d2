#!/usr/bin/env bash
# Identity-document upload figures, on SQLite. Prints, never asserts:
#   - seconds per accepted 10 MiB document (multipart, judged by its bytes, sealed, stored) and
#     the throughput that makes;
#   - the server's resident memory (VmRSS) and its peak (VmHWM) after start-up, after the accepted
#     uploads, and after refused 20 MiB uploads sent with chunked transfer encoding (no length up
#     front, so the server must count as the body streams in and stop at the limit);
#   - how much of each refused body the client had sent (the server answers 413 once the file
#     passes the limit, then reads and drops the rest without keeping it).
# A refused upload that were held whole would raise the peak by its 20 MiB each time it ran in
# parallel with another; the figures show whether it did.
#
# Environment: BINARY (default: a release build in .build-release), UPLOADS=10, REFUSED=10.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
if [ -z "${BINARY:-}" ]; then
    echo "building keyward (release)…" >&2
    swift build --package-path "$root" --scratch-path "$root/.build-release" -c release --product keyward >&2
    BINARY="$root/.build-release/release/keyward"
fi

data="$(mktemp -d)"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
"$BINARY" serve --data-dir "$data" --port "$port" --set server.logLevel=error \
    --set password.argon2.memoryKiB=1024 --set password.argon2.iterations=1 \
    --set support.maxDocuments=50 --set support.casesPerAccountPerDay=100 >"$data/server.log" 2>&1 &
server=$!
trap 'kill -TERM $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$data"' EXIT
base="http://127.0.0.1:$port"
for _ in $(seq 1 100); do curl -fs "$base/readyz" >/dev/null && break; sleep 0.1; done

python3 - "$base" "$server" "${UPLOADS:-10}" "${REFUSED:-10}" <<'PY'
import http.client, json, sys, time, urllib.parse, urllib.request

base, pid, uploads, refused = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
host, port = urllib.parse.urlparse(base).hostname, urllib.parse.urlparse(base).port

def memory():
    fields = dict(line.split(":", 1) for line in open(f"/proc/{pid}/status"))
    return int(fields["VmRSS"].split()[0]) // 1024, int(fields["VmHWM"].split()[0]) // 1024

def call(method, path, body=None, token=None):
    request = urllib.request.Request(base + path, method=method, data=json.dumps(body).encode() if body else None,
                                     headers={"Content-Type": "application/json",
                                              **({"Authorization": f"Bearer {token}"} if token else {})})
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read() or b"{}")

def code_for(to):
    for _ in range(200):
        for message in call("GET", "/dev/mailbox.json"):
            if message.get("to") == to and message.get("code"):
                return message["code"]
        time.sleep(0.05)
    raise SystemExit("no code arrived")

started = call("POST", "/api/v1/registrations", {"identifier": "bench@example.com", "password": "Quartz-Lantern-47"})
session = call("POST", f"/api/v1/registrations/{started['flowId']}/verify", {"code": code_for("bench@example.com")})
token = session["session"]["token"]
opened = call("POST", "/api/v1/support/cases", {"topic": "other", "description": "benchmark"}, token)
case_id, case_token = opened["caseId"], opened["caseToken"]
boundary = "bench-boundary-5e1f"
head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"type\"\r\n\r\nother\r\n"
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"scan.jpg\"\r\n\r\n").encode()
tail = f"\r\n--{boundary}--\r\n".encode()
document = b"\xff\xd8\xff\xe0" + bytes(10 * 1024 * 1024 - 64) + b"\xff\xd9"
path = f"/api/v1/support/cases/{case_id}/documents"
headers = {"Content-Type": f"multipart/form-data; boundary={boundary}", "Authorization": f"Bearer {case_token}"}

print(f"after start-up:        RSS {memory()[0]} MiB, peak {memory()[1]} MiB")
elapsed = 0.0
for _ in range(uploads):
    connection = http.client.HTTPConnection(host, port, timeout=60)
    began = time.perf_counter()
    connection.request("POST", path, body=head + document + tail, headers=headers)
    status = connection.getresponse().status
    elapsed += time.perf_counter() - began
    assert status == 201, status
    connection.close()
per = elapsed / uploads
print(f"accepted 10 MiB upload: {per:.3f} s each ({10 / per:.0f} MiB/s), {uploads} uploads")
print(f"after accepted:        RSS {memory()[0]} MiB, peak {memory()[1]} MiB")

read_before_answer = []
for _ in range(refused):
    connection = http.client.HTTPConnection(host, port, timeout=60)
    connection.putrequest("POST", path)
    for name, value in {**headers, "Transfer-Encoding": "chunked"}.items():
        connection.putheader(name, value)
    connection.endheaders()
    sent, chunk = 0, bytes(256 * 1024)
    status = None
    try:
        connection.send(b"%x\r\n%s\r\n" % (len(head), head))
        sent += len(head)
        first = b"\xff\xd8\xff\xe0" + chunk[4:]
        while sent < 20 * 1024 * 1024:
            piece = first if sent == len(head) else chunk
            connection.send(b"%x\r\n%s\r\n" % (len(piece), piece))
            sent += len(piece)
        connection.send(b"0\r\n\r\n")
    except (BrokenPipeError, ConnectionResetError):
        pass
    try:
        status = connection.getresponse().status
    except (http.client.HTTPException, OSError):
        status = "closed"
    read_before_answer.append(sent)
    connection.close()
print(f"refused 20 MiB chunked: answered {status}; the client had sent {min(read_before_answer) // 1024}–"
      f"{max(read_before_answer) // 1024} KiB (the server reads and drops what follows a refusal)")
print(f"after refused:         RSS {memory()[0]} MiB, peak {memory()[1]} MiB")
PY
