#!/usr/bin/env bash
# install.sh: idempotent, prompt-free set-up of everything ifprobe needs on a fresh
# Debian 12 machine, using only package registries (Go module proxy, PyPI, Debian).
# It runs each step in scripts/install/ in order; every step checks before it acts,
# so a second run is fast and changes nothing. Set IFPROBE_INSTALL_SKIP="models xla"
# (step names without number) to skip steps.
set -euo pipefail
cd "$(dirname "$0")"
. scripts/env.sh
start=$(date +%s)
for step in scripts/install/[0-9]*.sh; do
  name=$(basename "$step" .sh); name=${name#*-}
  case " ${IFPROBE_INSTALL_SKIP:-} " in *" $name "*) echo "== $name: skipped (IFPROBE_INSTALL_SKIP)"; continue;; esac
  echo "== $name"
  bash "$step"
done
echo "== install.sh done in $(( $(date +%s) - start ))s"
