#!/usr/bin/env bash
# Runs the worked example (examples/pytorch) end to end against a fresh tagfusion server: the
# embedded database in a temporary data folder, a free loopback port, API tokens required, the
# example's folder as a data root (it imports the CSV it writes there). The server is stopped
# afterwards, and the script exits with the example's status (its server log is shown on failure).
# Builds dist/ first when it is missing; PYTHON picks the interpreter (default Debian's, with torch).
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-/usr/bin/python3}
[ -f dist/cli/index.js ] || npm run build --silent

work=$(mktemp -d)
server=
stop() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap stop EXIT

port=$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
unset DATABASE_URL TAGFUSION_STORE
export TAGFUSION_DATA_DIR="$work/data" TAGFUSION_DATA_ROOTS="$PWD/examples/pytorch" HOST=127.0.0.1 PORT="$port" TAGFUSION_AUTH=required LOG_LEVEL=warn

# The token is made before the server starts: the CLI opens the embedded database directly.
token=$(node bin/tagfusion.js token create --name pytorch-example --role editor --json | "$python" -c 'import json, sys; print(json.load(sys.stdin)["secret"])')
node bin/tagfusion.js serve >"$work/server.log" 2>&1 &
server=$!
url="http://127.0.0.1:$port"
"$python" - "$url" <<'PY'
import sys, time, urllib.request
for _ in range(600):
    try:
        urllib.request.urlopen(sys.argv[1] + "/healthz", timeout=1).read()
        sys.exit(0)
    except OSError:
        time.sleep(0.1)
sys.exit("the server did not answer /healthz within 60 s")
PY

status=0
started=$(date +%s)
MLFLOW_TRACKING_URI="$url" MLFLOW_TRACKING_TOKEN="$token" "$python" examples/pytorch/train.py || status=$?
echo "example finished with status $status in $(($(date +%s) - started)) s"
if [ "$status" -ne 0 ]; then
  echo '--- server log (last 40 lines, without TensorFlow.js kernel notices) ---'
  grep -v 'is already registered' "$work/server.log" | tail -n 40 || true
fi
exit "$status"
