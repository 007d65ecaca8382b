#!/usr/bin/env bash
# The web page's benchmark: a node with 25,000 generated contacts served by `liaison serve` on
# loopback, measured by Benchmarks/web_bench.py (server round trips beside the JSON API's, the page
# updating as an officer types in headless Chromium, the largest country page's time to first
# byte, and the weight of each main page). Needs what the browser tests need (README).
#   Benchmarks/web-bench.sh [--contacts N]
set -euo pipefail
cd "$(dirname "$0")/.."
contacts=25000
if [ "${1:-}" = "--contacts" ]; then contacts="$2"; fi
swift build -c release --product liaison >/dev/null
swift build -c release --product LiaisonBench >/dev/null
work="$(mktemp -d)"
trap 'kill "${server:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT
.build/release/LiaisonBench csv --contacts "$contacts" --out "$work/contacts.csv"
liaison=.build/release/liaison
$liaison init --data "$work/node" --name "Bench desk" --agency "Bench" >/dev/null
$liaison import "$work/contacts.csv" --data "$work/node" >/dev/null
echo "officer password 25k" | $liaison user add bench --role editor --password-stdin --data "$work/node" >/dev/null
token="$($liaison token create --name bench --json --data "$work/node" | python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])')"
port=$((20000 + RANDOM % 20000))
$liaison serve --data "$work/node" --listen "127.0.0.1:$port" --sync-every 0 2>"$work/serve.log" &
server=$!
for _ in $(seq 50); do curl -sk "https://127.0.0.1:$port/signin" >/dev/null && break; sleep 0.2; done
python3 Benchmarks/web_bench.py --url "https://127.0.0.1:$port" --account "bench:officer password 25k" --token "$token" --contacts "$contacts"
