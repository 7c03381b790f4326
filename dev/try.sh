#!/bin/bash
# Try qckpt on a fresh Debian 12 machine (as root): installs everything, brings up the
# private Grid Engine cell with a small demo, and opens qckpt on it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash dev/install.sh
.venv/bin/qckpt sandbox up --demo
eval "$(.venv/bin/qckpt sandbox env)"
.venv/bin/qckpt env list
.venv/bin/qckpt queue list
echo
echo "The cell is yours: eval \"\$(.venv/bin/qckpt sandbox env)\" in your shell to use qconf/qsub on it."
exec .venv/bin/qckpt
