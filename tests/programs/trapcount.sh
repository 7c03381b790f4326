#!/bin/bash
# A job script that saves itself as job scripts do, with bash's own traps (GNU Queue's
# protocol): USR1 saves the count in $QCKPT_DIR and goes on, USR2 saves and exits.
# Restarted, it gets --restart and goes on from the saved count. Counts to $1, exits 3.
state="$QCKPT_DIR/count"
count=0
if [ "${2:-}" = "--restart" ]; then
    count=$(cat "$state")
    echo "restarted at $count"
fi
save() { echo "$count" > "$state.tmp" && mv "$state.tmp" "$state"; }
trap 'save' USR1
trap 'save; echo "migrating at $count"; exit 0' USR2
echo "started at $count"
while [ "$count" -lt "$1" ]; do
    count=$((count + 1))
    sleep 0.1
done
echo "done at $count"
exit 3
