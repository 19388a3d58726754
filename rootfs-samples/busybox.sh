#!/bin/sh
# Makes the busybox sample image: a rootfs tarball built from the host's
# busybox-static package, with an applet link for every command busybox
# offers and the few files in /etc that programs expect.
#
#   rootfs-samples/busybox.sh OUT.tar
set -eu

out=${1:?usage: busybox.sh OUT.tar}
busybox=/bin/busybox
[ -x "$busybox" ] || { echo "busybox.sh: $busybox missing: apt-get install busybox-static" >&2; exit 1; }
"$busybox" --list-full >/dev/null 2>&1 || { echo "busybox.sh: $busybox is not busybox-static" >&2; exit 1; }

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT

mkdir -p "$root/bin" "$root/sbin" "$root/usr/bin" "$root/usr/sbin" "$root/etc" \
         "$root/root" "$root/tmp" "$root/var/www" "$root/proc" "$root/sys" "$root/dev"
chmod 755 "$root"
chmod 1777 "$root/tmp"
chmod 700 "$root/root"
cp "$busybox" "$root/bin/busybox"
for applet in $("$busybox" --list-full); do
    [ -e "$root/$applet" ] || ln -s /bin/busybox "$root/$applet"
done

cat > "$root/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
www-data:x:33:33:www-data:/var/www:/bin/false
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
PASSWD
cat > "$root/etc/group" <<'GROUP'
root:x:0:
daemon:x:1:
tty:x:5:
www-data:x:33:
nogroup:x:65534:
GROUP
cat > "$root/etc/hosts" <<'HOSTS'
127.0.0.1	localhost
::1	localhost ip6-localhost ip6-loopback
HOSTS

# Numeric owners and sorted names: the same host package gives the same tar.
tar --numeric-owner --owner=0 --group=0 --sort=name --mtime=@0 -C "$root" -cf "$out.tmp" .
mv "$out.tmp" "$out"
echo "busybox.sh: wrote $out ($("$busybox" --help | head -n 1 | cut -d' ' -f1-2))"
