#!/bin/sh
# default-bridge.sh note FILE | give-back FILE SWIFTRUN
#
# make demo and make bench bring up swiftrun's default bridge, and with it
# the nftables table `ip swiftrun`. Both stay between containers, as docker0
# does (making them again costs the next run about 4 ms, deleting the table
# about 10 ms), so a script that found neither gives them back at its end:
# `note` writes whether the bridge is up to FILE, `give-back` reads it.
set -eu
file=$2
case $1 in
note)
    if [ -e /sys/class/net/swiftrun0 ]; then echo up > "$file"; else echo down > "$file"; fi
    ;;
give-back)
    bin=$3
    [ "$(cat "$file")" = down ] || exit 0
    # network prune also removes user networks that no container uses:
    # only when there are none does it give back exactly the bridge and table.
    users=$("$bin" network ls | awk 'NR > 1 && $2 != "bridge" && $2 != "host" && $2 != "none"' | wc -l)
    if [ "$users" -eq 0 ]; then
        "$bin" network prune -f >/dev/null
    else
        echo "default-bridge: swiftrun0 stays up: user networks exist ($users); swiftrun network prune gives it back" >&2
    fi
    ;;
*)
    echo "usage: default-bridge.sh note FILE | give-back FILE SWIFTRUN" >&2
    exit 2
    ;;
esac
