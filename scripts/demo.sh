#!/bin/sh
# make demo: import the busybox sample and show what a container is.
set -eu
bin=$1 sample=$2
root=${SWIFTRUN_ROOT:-/var/lib/swiftrun}

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "Import the busybox sample as an image"
"$bin" --root "$root" import "$sample" busybox
"$bin" --root "$root" images

before=$(mktemp) bridge=$(mktemp)
trap 'rm -f "$before" "$bridge"' EXIT
cat /proc/self/mountinfo > "$before"
"$(dirname "$0")/default-bridge.sh" note "$bridge"

say "Run it, narrating each step: swiftrun run --rm --explain busybox sh -c '...'"
"$bin" --root "$root" run --rm --explain --hostname demo busybox sh -c '
    echo "inside:  my pid is $$ (pid 1 of a new pid namespace)"
    echo "inside:  hostname is $(hostname)"
    echo "inside:  processes I can see:"; ps -o pid,comm
    echo "inside:  my mount table:"; cat /proc/self/mounts | sed "s/^/         /"'
echo "exit code: $?"

say "Outside, the host is untouched"
echo "outside: host pid of this shell is $$, hostname is $(hostname)"
if cat /proc/self/mountinfo | cmp -s "$before" -; then
    echo "outside: the host's mount table is exactly as before the run ($(wc -l < "$before") mounts)"
else
    echo "outside: the host's mount table CHANGED:"; cat /proc/self/mountinfo | diff "$before" - || true
    exit 1
fi
echo "outside: containers left behind by --rm: $("$bin" --root "$root" ps -a -q | wc -l)"

svg=${DEMO_SVG:-$(dirname "$0")/../.build/demo-isolation.svg}
say "The same as one picture: swiftrun run --rm --explain=svg:FILE --memory 64m -p 127.0.0.1::80 busybox true"
"$bin" --root "$root" run --rm --explain=svg:"$svg" --hostname demo --memory 64m --pids-limit 100 -p 127.0.0.1::80 busybox true
echo "drawn: $(realpath "$svg"): open it in a browser (docs/HOW-IT-WORKS.md shows one)"

web=$(dirname "$0")/../rootfs-samples/web
say "Build an image from a Dockerfile: swiftrun build -t web rootfs-samples/web"
"$bin" --root "$root" build -t web "$web"
say "Run it: busybox httpd serves the page inside the container's own network namespace"
"$bin" --root "$root" run --rm web sh -c 'httpd -p 8080 -h site; wget -qO- http://127.0.0.1:8080/'

say "Keep it running: swiftrun run -d, then exec into it, its logs, a copy out, stop and rm"
"$bin" --root "$root" rm -f demo-web >/dev/null 2>&1 || true
"$bin" --root "$root" run -d --name demo-web -p 127.0.0.1::8080 web sh -c 'httpd -p 8080 -h site && echo serving && exec sleep 3600'
until "$bin" --root "$root" logs demo-web | grep -q serving; do :; done  # httpd has bound its port
echo "logs: $("$bin" --root "$root" logs demo-web)"
echo "exec: $("$bin" --root "$root" exec demo-web wget -qO- http://127.0.0.1:8080/)"
published=$("$bin" --root "$root" port demo-web 8080)
echo "port: 8080/tcp -> $published; the host fetches it through the bridge:"
busybox wget -qO- "http://$published/"
"$bin" --root "$root" cp demo-web:/srv/app/site/index.html - | tar -tvf -
"$bin" --root "$root" top demo-web -eo pid,user,args
"$bin" --root "$root" stop -t 1 demo-web >/dev/null
"$bin" --root "$root" rm demo-web >/dev/null
echo "stopped and removed: $("$bin" --root "$root" ps -a -q | wc -l) containers left"
"$(dirname "$0")/default-bridge.sh" give-back "$bridge" "$bin"
