#!/usr/bin/env bash
# Times the live stage: against a server that takes 300 ms per answer, and
# against the hardened loopback Apache + Django (mod_evasive pacing on "/").
# Prints one "live stage:" line per run: the whole stage, its slowest chain
# of requests to one URL, and what all requests (and waits) add up to.
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-3}"
for _ in $(seq "$runs"); do
    cargo test -q --test live_concurrency -- --nocapture 2>&1 | grep '^live stage:'
done
for _ in $(seq "$runs"); do
    cargo test -q --test live_apache hardened_passes_every_probe -- --nocapture 2>&1 \
        | grep '^live stage:'
done
