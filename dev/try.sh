#!/bin/bash
# Try qckpt on a fresh Debian 12 machine (as root): installs everything, brings up the
# private Grid Engine cell (two execution hosts) with a demo whose jobs really checkpoint
# (one is moved to the second host), and opens the qckpt console on it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash dev/install.sh
.venv/bin/qckpt sandbox up --hosts 2 --demo
eval "$(.venv/bin/qckpt sandbox env)"
echo "Opening the console (ctrl+q quits). Later: eval \"\$(.venv/bin/qckpt sandbox env)\" to use qconf/qsub on this cell."
sleep 1
exec .venv/bin/qckpt
