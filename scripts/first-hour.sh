#!/usr/bin/env bash
# Replays a newcomer's first hour (issue 14) on a fresh data folder with the default name
# (./.tagfusion in a temporary working directory) and a small generated sample
# (test/fixtures/first-hour/make-dataset.mjs; never ../shared/datasets): the README's commands and
# GraphQL queries (read from README.md itself, paths and port swapped for the sample's), jq on
# every --json output, the submission download from the default data folder, and the CLI beside
# a running server. Prints one line per check; exits 1 when any failed. Needs jq and curl.
set -uo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
[ -f "$repo/dist/cli/index.js" ] || (cd "$repo" && npm run build --silent) || exit 1

work=$(mktemp -d)
server=
stop_server() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; server=; fi
}
trap 'stop_server; rm -rf "$work"' EXIT
cd "$work" || exit 1
unset DATABASE_URL TAGFUSION_STORE TAGFUSION_DATA_DIR TAGFUSION_DATA_ROOTS TAGFUSION_AUTH
export LOG_LEVEL=warn
started=$(date +%s)
failures=0

tf() { node "$repo/bin/tagfusion.js" "$@" 2>>"$work/stderr.log"; }
pass() { echo "ok    $1"; }
fail() { echo "FAIL  $1"; failures=$((failures + 1)); }
# check WHAT FILE JQ: FILE must be JSON as a whole (no log line before it) and JQ must hold on it.
check() { if jq -e "$3" "$2" >/dev/null 2>&1; then pass "$1"; else fail "$1: $(head -c 300 "$2")"; fi; }
# The README's GraphQL line that contains PATTERN, as the JSON body its q function posts.
readme_query() { grep -F -- "$1" "$repo/README.md" | grep "^q '" | head -1 | sed -E "s/^q '(.*)'$/\1/"; }

node "$repo/test/fixtures/first-hour/make-dataset.mjs" "$work/sample" || exit 1
sample="$work/sample"

# ---- The CLI on the embedded database (README: Training, Model registry, Prediction)
tf import "$sample/train.csv" --images "$sample/images" --name comp5329 --json >import.json
check 'import --json: the documented keys, 64 samples, 4 labels, nothing rejected' import.json \
  '(.datasetId | type == "string") and .version == 1 and .sampleCount == 64 and (.labels | length) == 4 and (.labels[0] | has("id") and has("count")) and .rejected == []'
dataset=$(jq -r .datasetId import.json)
tf import "$sample/train.csv" --images "$sample/images" --name comp5329 --json >reimport.json
check 're-importing identical content returns the existing version ("reused": true)' reimport.json ".reused == true and .datasetId == \"$dataset\""
tf import "$sample/captions.csv" --name comp5329-captions --json >captions.json
check 'import of captions without images' captions.json '.sampleCount == 40'
captions=$(jq -r .datasetId captions.json)

# (the README's --flip doubles the extraction; training here does not use mirrored images)
tf extract --dataset "$dataset" --encoder centernet-coco --json >extract.json
check 'extract --json' extract.json 'type == "object"'
tf train --dataset "$dataset" --head fm2 --epochs 2 --json >fm2.json
check 'train fm2 --json: succeeded, best epoch counted from 1' fm2.json '.status == "SUCCEEDED" and .bestEpoch >= 1 and .bestEpoch <= 2 and (.val.microF1 | type == "number")'
tf train --dataset "$dataset" --head text --extra-train "$captions" --epochs 2 --json >text.json
check 'train text --extra-train --json' text.json '.status == "SUCCEEDED"'
run=$(jq -r .runId fm2.json)

tf register --run "$run" --model captioner --description "text head" --json >register.json
check 'register --json: version 1' register.json '.version == 1 and .created == true'
tf register --run "$(jq -r .runId text.json)" --model captioner --description "text only" --json >register2.json
check 'register a second version: its description is the version’s' register2.json '.version == 2'
tf promote --model captioner --version 1 --alias champion --json >promote.json
check 'promote --json' promote.json '.changed == true and .version == 1'
tf promote --model captioner --version 2 --alias champion --json >signature.json
if [ -s signature.json ]; then fail 'promote to a version that eats other inputs needs --allow-signature-change'; else pass 'promote to a version that eats other inputs needs --allow-signature-change'; fi
tf promote --model captioner --version 2 --alias champion --expect 2 --allow-signature-change --json >/dev/null
if tail -n 1 "$work/stderr.log" | grep -q 'points at version 1 now, not version 2 as this call expected'; then pass 'a stale --expect says where the alias points'; else fail "a stale --expect says where the alias points: $(tail -n 1 "$work/stderr.log")"; fi
tf models --json >models.json
check 'models --json: the model keeps its description, versions theirs' models.json \
  '.[0].description == "text head" and .[0].aliases == [{"alias": "champion", "version": 1, "protected": false}] and ([.[0].versions[].description] | sort) == ["text head", "text only"]'
tf predict --model captioner@champion --dataset "$dataset" --split val --out submission.csv --json >predict.json
check 'predict --json' predict.json 'type == "object"'
if [ "$(head -n 1 submission.csv 2>/dev/null)" = 'ImageID,Labels' ]; then pass 'predict --out writes the Kaggle file'; else fail 'predict --out writes the Kaggle file'; fi

# ---- The server on the same data folder (README: A short GraphQL session, Prediction)
port=$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')
url="http://127.0.0.1:$port"
TAGFUSION_DATA_ROOTS="$sample:$work/.tagfusion" PORT=$port node "$repo/bin/tagfusion.js" serve >server.log 2>&1 &
server=$!
for _ in $(seq 1 600); do curl -sf "$url/healthz" >/dev/null && break; sleep 0.1; done
q() { curl -s "$url/graphql" -H 'content-type: application/json' -d "$1"; echo; }
for_sample() { sed -e "s#\.\./shared/datasets/comp5329-sample/#$sample/#g"; }

q "$(readme_query 'importDataset(input:' | for_sample)" >gql-import.json
check 'README: importDataset' gql-import.json '.data.importDataset.status | type == "string"'
for _ in $(seq 1 100); do q "$(readme_query '{ jobs(first: 1)')" >gql-jobs.json; jq -e '.data.jobs[0].status == "SUCCEEDED"' gql-jobs.json >/dev/null && break; sleep 0.2; done
check 'README: the jobs query shows the import with its dataset' gql-jobs.json '.data.jobs[0].status == "SUCCEEDED" and .data.jobs[0].dataset.sampleCount == 64'
# The README filters on val micro-F1 ≥ 0.8; two epochs on the sample need not get there, so the
# bound is lowered: the metric's name is what is checked (a name nothing records finds nothing).
q "$(readme_query 'runs(filter:' | sed 's/gte: 0\.8/gte: 0/')" >gql-runs.json
check 'README: the runs query filters and orders on a recorded metric' gql-runs.json \
  '.data.runs.totalCount >= 2 and ([.data.runs.nodes[].summaries[] | select(.split == "val") | .name] | index("microF1") != null)'
q "$(readme_query '{ predict(model:' | for_sample)" >gql-predict.json
check 'README: predict by alias with a caption and an image path' gql-predict.json '.data.predict.model.name == "captioner" and (.data.predict.predictions | length) == 1'
q "{\"query\":\"mutation { predictDataset(model: \\\"captioner@champion\\\", datasetId: \\\"$dataset\\\", split: VAL) { id } }\"}" >gql-pd.json
set_id=$(jq -r '.data.predictDataset.id' gql-pd.json)
for _ in $(seq 1 150); do
  q "{\"query\":\"{ predictionSet(id: \\\"$set_id\\\") { submissionUrl } }\"}" >gql-set.json
  jq -e '.data.predictionSet.submissionUrl | type == "string"' gql-set.json >/dev/null && break
  sleep 0.2
done
code=$(curl -s -o served.csv -w '%{http_code}' "$url/predictions/$set_id/submission.csv")
if [ "$code" = 200 ] && [ "$(head -n 1 served.csv)" = 'ImageID,Labels' ]; then pass 'submission.csv downloads from the default data folder (./.tagfusion)'; else fail "submission.csv downloads from the default data folder: HTTP $code"; fi

# CLI beside the running server (issue 14, item 3). Until the CLI can work through a server, the
# check is that it refuses cleanly: a non-zero exit and a one-line reason, no stack trace.
if tf models --json >beside.json; then
  check 'CLI beside a running server: models --json through it' beside.json '.[0].name == "captioner"'
else
  reason=$(tail -n 3 "$work/stderr.log")
  if [ "$(tail -n 3 "$work/stderr.log" | grep -c '    at ')" = 0 ]; then pass "CLI beside a running server (PENDING, issue 14 item 3): refused cleanly: $(tail -n 1 "$work/stderr.log")"; else fail "CLI beside a running server: a stack trace: $reason"; fi
fi
stop_server

echo "first hour replayed in $(($(date +%s) - started)) s: $failures failed"
if [ "$failures" -ne 0 ]; then
  echo '--- CLI stderr (last 20 lines, without TensorFlow.js kernel notices) ---'
  grep -v 'is already registered' "$work/stderr.log" | tail -n 20
  echo '--- server log (last 20 lines) ---'
  grep -v 'is already registered' "$work/server.log" | tail -n 20
  exit 1
fi
