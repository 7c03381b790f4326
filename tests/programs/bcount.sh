#!/bin/bash
# Counts to $1 every 0.1 s and exits 5: no checkpoint support of its own (DMTCP does it).
i=0
while [ "$i" -lt "${1:-300}" ]; do
    i=$((i + 1))
    echo "count $i"
    sleep 0.1
done
exit 5
