#!/bin/bash
# A program (its arguments) in a pipeline: only it handles the signals; tee would die of them.
"$@" | tee "$TMPDIR/program.log"
exit "${PIPESTATUS[0]}"
