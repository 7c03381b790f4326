#!/bin/bash
# Test qckpt on a fresh Debian 12 machine (as root): installs everything, brings up the
# private Grid Engine cell, checks lint and format, and runs the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash dev/install.sh
.venv/bin/qckpt sandbox up --hosts 3
.venv/bin/ruff check .
.venv/bin/ruff format --check .
exec .venv/bin/python -m pytest "$@"
