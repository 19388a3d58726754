#!/bin/sh
# make order: writes scripts/run-order.txt, the functions `run` executes,
# for lld's --symbol-ordering-file (Makefile RELEASE_FLAGS). Packed together
# at the start of .text, they fault in as a few 64 KB fault-around windows
# instead of one here and one there over 6.6 MB (issue 15: `run`'s text
# faults 86 -> 37). The list is what perf saw: samples of the user-space
# code over many runs, and the functions whose first instruction fetch
# faulted (the short ones sampling misses). Names already in the file
# stay, so the list grows as it is rerun on a binary linked with it; a
# name no longer in the binary is ignored by the linker.
#   usage: scripts/run-order.sh SWIFTRUN SAMPLE
set -eu
bin=$(realpath "$1") sample=$(realpath "$2")
order=$(cd "$(dirname "$0")" && pwd)/run-order.txt
work=$(mktemp -d /tmp/swiftrun-order-XXXXXX)
trap 'umount "$work/store" 2>/dev/null || true; rm -rf "$work"' EXIT
mkdir "$work/store"
mount -t tmpfs -o size=100m tmpfs "$work/store"
"$bin" --root "$work/store" import "$sample" busybox >/dev/null
run="$bin --root $work/store run --rm --network none busybox /bin/true"
$run
perf record -q -e cpu-clock:u -F 20000 -o "$work/samples" -- sh -c "for i in \$(seq 200); do $run; done" 2>/dev/null
perf record -q -e page-faults -c 1 -o "$work/faults" -- $run 2>/dev/null
for data in samples faults; do
    perf script --no-demangle -i "$work/$data" -F ip,sym,dso 2>/dev/null | awk -v b="($bin)" '$NF == b && $2 !~ /^\[/ {print $2}'
done | awk '!seen[$0]++' > "$work/seen"
touch "$order"
cat "$order" "$work/seen" | awk '!seen[$0]++' > "$work/order"
mv "$work/order" "$order"
echo "$(wc -l < "$order") functions in $order"
