#!/bin/bash
# Regenerates the console's snapshots (on the sandbox cell) and screenshots/ from them:
# SVG as Textual draws it, and PNG for README.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/python -m pytest tests/console/test_snapshots.py --snapshot-update -q -p no:randomly
mkdir -p screenshots
# the demo's views, live (bash dev/try.sh opens the same demo)
QCKPT_SCREENSHOTS="$PWD/screenshots" .venv/bin/python -m pytest tests/console/test_demo.py -q
for name in demo_environments demo_queues demo_jobs demo_storage; do
    rsvg-convert -o "screenshots/$name.png" "screenshots/$name.svg"
done
for svg in tests/console/__snapshots__/test_snapshots/*.svg; do
    name=$(basename "$svg" .svg)
    name=${name#test_}
    cp "$svg" "screenshots/$name.svg"
    rsvg-convert -o "screenshots/$name.png" "$svg"
done
ls screenshots
