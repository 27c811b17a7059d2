#!/usr/bin/env bash
# Load figures for a release build on SQLite with production Argon2id parameters
# (m=19456 KiB, t=2, p=1). Prints, never asserts:
#   - Argon2id ms/hash (Swift, from Benchmarks/argon2-compare.sh's benchmark binary);
#   - password checks per second at saturation (wrk, POST /api/v1/login: the password step of a
#     sign-in, which checks the hash and opens the second-factor flow) beside the hash-bound
#     ceiling cores / hash time;
#   - GET /api/v1/session requests per second with a valid bearer token, beside GET /healthz (which
#     touches no database) in the same run, and the ratio of the two;
#   - the idle server's resident memory, after start-up and before any load, and after the load.
# Sign-in rate limits are lifted so that hashing, not the limiter, is what saturates; so is the
# lockout allowance, since every password check claims one of the account's remaining guesses
# while it runs, and with the default of 5 most of the 8 parallel sign-ins to the one benchmark
# account would be refused (429) instead of checked. The load
# generator runs on the same machine as the server, so every figure is a lower bound.
#
# Environment: DURATION=10 (seconds per wrk run), CONNECTIONS_LOGIN=8, CONNECTIONS_SESSION=32.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
duration="${DURATION:-10}"
command -v wrk >/dev/null || { echo "error: wrk is missing (apt-get install wrk)" >&2; exit 1; }

echo "building keyward (release)…" >&2
swift build --package-path "$root" --scratch-path "$root/.build-release" -c release --product keyward >&2
binary="$root/.build-release/release/keyward"

data="$(mktemp -d)"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
"$binary" serve --data-dir "$data" --port "$port" --set server.logLevel=error \
    --set password.hashingQueueLimit=4096 --set rateLimit.signInsPerIP=100000000/60 \
    --set rateLimit.signInsPerIdentifier=100000000/60 --set lockout.maxFailures=1000 >"$data/server.log" 2>&1 &
server=$!
trap 'kill -TERM $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$data"' EXIT
base="http://127.0.0.1:$port"
for _ in $(seq 1 100); do curl -fs "$base/readyz" >/dev/null && break; sleep 0.1; done

token="$(python3 - "$base" <<'PY'
import json, sys, time, urllib.request
base = sys.argv[1]
def call(method, path, body=None, token=None):
    request = urllib.request.Request(base + path, method=method, data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Content-Type": "application/json", **({"Authorization": "Bearer " + token} if token else {})})
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read() or b"{}")
started = call("POST", "/api/v1/registrations", {"identifier": "bench@example.com", "password": "Lantern-Quartz-27"})
for _ in range(100):
    mail = [m for m in call("GET", "/dev/mailbox.json") if m["to"] == "bench@example.com"]
    if mail: break
    time.sleep(0.05)
verified = call("POST", f"/api/v1/registrations/{started['registrationId']}/verify", {"code": mail[0]["code"]})
print(verified["session"]["token"])
PY
)"

rss_mb() { awk '/^VmRSS:/ {printf "%.1f", $2 / 1024}' "/proc/$server/status"; }
sleep 2
idle_rss="$(rss_mb)"

cores="$(nproc)"
hash_ms="$(HASHES=10 ROUNDS=1 "$here/argon2-compare.sh" 2>/dev/null | sed -n 's/^round 1: swift \([0-9.]*\) ms.*/\1/p')"

cat >"$data/login.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"identifier":"bench@example.com","password":"Lantern-Quartz-27","deviceName":"wrk"}'
wrk.headers["Content-Type"] = "application/json"
local failures = 0
response = function(status, headers, body)
  if status ~= 200 then failures = failures + 1 end
end
done = function(summary, latency, requests)
  io.write(string.format("non_200=%d\n", summary.errors.status))
end
LUA

echo "== password steps of sign-in (POST /api/v1/login), ${CONNECTIONS_LOGIN:-8} connections, ${duration}s"
login_out="$(wrk -t2 -c"${CONNECTIONS_LOGIN:-8}" -d"${duration}s" --latency -s "$data/login.lua" "$base/api/v1/login")"
echo "$login_out" | grep -E "Requests/sec|Latency|99%|non_200|Non-2xx"
echo "== GET /api/v1/session, ${CONNECTIONS_SESSION:-32} connections, ${duration}s"
session_out="$(wrk -t2 -c"${CONNECTIONS_SESSION:-32}" -d"${duration}s" --latency -H "Authorization: Bearer $token" "$base/api/v1/session")"
echo "$session_out" | grep -E "Requests/sec|Latency|99%|Non-2xx"

echo "== GET /healthz, ${CONNECTIONS_SESSION:-32} connections, ${duration}s"
health_out="$(wrk -t2 -c"${CONNECTIONS_SESSION:-32}" -d"${duration}s" --latency "$base/healthz")"
echo "$health_out" | grep -E "Requests/sec|Latency|99%|Non-2xx"

logins="$(echo "$login_out" | awk '/Requests\/sec/ {print $2}')"
sessions="$(echo "$session_out" | awk '/Requests\/sec/ {print $2}')"
health="$(echo "$health_out" | awk '/Requests\/sec/ {print $2}')"
echo
echo "cores=$cores"
echo "argon2id_ms_per_hash=${hash_ms:-unknown}"
if [ -n "$hash_ms" ]; then
  echo "hash_bound_ceiling_signins_per_s=$(python3 -c "print(round($cores * 1000 / $hash_ms, 1))")"
fi
echo "signins_per_s=$logins"
echo "session_requests_per_s=$sessions"
echo "healthz_requests_per_s=$health"
echo "session_to_healthz_ratio=$(python3 -c "print(round($sessions / $health, 2))")"
echo "idle_rss_mb=$idle_rss"
echo "rss_after_load_mb=$(rss_mb)"
