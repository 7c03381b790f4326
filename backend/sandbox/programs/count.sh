#!/bin/bash
# qckpt demo job (signal engine): a job script that saves itself with bash's own traps, as
# job scripts do. USR1 (each checkpoint) saves the count in $QCKPT_DIR and goes on; USR2 (a
# migration) saves it and exits; restarted with --restart, it goes on from the saved count.
# Counts once a second up to $1, then ends.
state="$QCKPT_DIR/count"
count=0
if [ "${2:-}" = "--restart" ]; then
    count=$(cat "$state")
    echo "restarted at $count on $(hostname)"
fi
save() { echo "$count" > "$state.tmp" && mv "$state.tmp" "$state"; }
trap 'save' USR1
trap 'save; echo "migrating at $count"; exit 0' USR2
echo "started at $count on $(hostname)"
while [ "$count" -lt "$1" ]; do
    count=$((count + 1))
    sleep 1
done
echo "done at $count"
