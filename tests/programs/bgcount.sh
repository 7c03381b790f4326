#!/bin/bash
# As bcount.sh, with a helper child that lives as long as the job (as real jobs start one).
sleep 600 &
helper=$!
i=0
while [ "$i" -lt "${1:-300}" ]; do
    i=$((i + 1))
    echo "count $i"
    sleep 0.1
done
kill "$helper"
exit 5
