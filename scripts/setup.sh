#!/usr/bin/env bash
# Installs what building kaigiroku needs and is missing: cmake and clang for
# whisper.cpp (built from source by whisper-rs), libclang for its bindings,
# ALSA headers for live recording, pip for model installation, chromium and
# chromedriver for the review page's browser test, PulseAudio (server, paplay,
# ALSA's pulse device) and sox for the recording tests, which record through a
# private PulseAudio server's null sink instead of a sound card, and Slurm
# (slurm-wlm, munge) for the test of the batch job array on a one-machine
# cluster (scripts/slurm-cluster.sh).
# Safe to run again: it installs only what is not there.
set -euo pipefail

packages=(cmake clang libclang-dev libasound2-dev pkg-config python3-pip chromium chromium-driver
  pulseaudio pulseaudio-utils libasound2-plugins sox slurm-wlm munge)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
command -v cargo >/dev/null || { echo "setup: cargo not found: install Rust from rustup.rs" >&2; exit 1; }
python3 -m pip --version >/dev/null 2>&1 || { echo "setup: python3 -m pip not available" >&2; exit 1; }
