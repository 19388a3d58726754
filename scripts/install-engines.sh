#!/bin/sh
# make test's engines (containerd, and Debian's docker.io for dockerd),
# installed without starting or enabling their services: the tests start
# their own daemons, in their own dirs, and a system dockerd would add
# iptables rules that drop every other runtime's forwarded traffic.
# Packages already installed are left as they are.
set -eu
missing=""
for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
[ -n "$missing" ] || exit 0
echo "installing (services not started):$missing"
# policy-rc.d: invoke-rc.d and deb-systemd-invoke start nothing while it says 101.
policy=/usr/sbin/policy-rc.d
own_policy=""
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    own_policy=1
fi
trap '[ -z "$own_policy" ] || rm -f "$policy"' EXIT
apt-get update -q
DEBIAN_FRONTEND=noninteractive apt-get install -y -q $missing
if command -v systemctl >/dev/null 2>&1; then
    for unit in docker.service docker.socket containerd.service; do
        systemctl disable "$unit" >/dev/null 2>&1 || true
    done
fi
