#!/bin/sh
cd "$(dirname "$0")/.." && exec cargo test --release --test model corpus -- --nocapture "$@"
