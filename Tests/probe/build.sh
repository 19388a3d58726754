#!/bin/sh
# Builds the escape tests' image: the busybox sample plus
#   /bin/probe            the probe (Tests/probe/probe.c), static
#   /bin/probe-setuid     the same binary, setuid root: for no_new_privs
#   /evil                 a symlink to /tmp, absolute: the -v target probe
#
#   Tests/probe/build.sh BUSYBOX.tar OUT.tar
set -eu
busybox=$1 out=$2
here=$(dirname "$0")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

gcc -static -O2 -Wall -o "$work/probe" "$here/probe.c"
mkdir -p "$work/root/bin"
cp "$work/probe" "$work/root/bin/probe"
cp "$work/probe" "$work/root/bin/probe-setuid"
chmod 755 "$work/root/bin/probe"
chmod 4755 "$work/root/bin/probe-setuid"
ln -s /tmp "$work/root/evil"

cp "$busybox" "$out.tmp"
tar --numeric-owner --owner=0 --group=0 -C "$work/root" -rf "$out.tmp" ./bin/probe ./bin/probe-setuid ./evil
mv "$out.tmp" "$out"
