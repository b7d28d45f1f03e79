#!/usr/bin/env bash
# Runs every test: installs what the tests need, then the whole workspace's test suite.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/install-test-deps.sh
cargo test --workspace --locked
