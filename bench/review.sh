#!/usr/bin/env bash
# The review page's figures, in a real browser (headless chromium) on the
# sample meeting's draft: time from opening the page to the minutes shown
# and to the first turn heard, and time to save an edit.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh >&2
cargo test --release --test fast bench_review_page -- --ignored --nocapture 2>&1 | grep '^|'
