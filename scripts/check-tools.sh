#!/bin/sh
# check-tools.sh TARGET "PACKAGES": fails when make TARGET would run a tool
# that its own package list does not install. A machine that already has
# the tool (from another target, or by hand) hides that defect, so each
# row of scripts/tools.list is checked three ways:
#   - its package is in PACKAGES, the list this target installs;
#   - the tool is on this machine, and dpkg says that package owns it;
#   - (target test) every tool the tests call by name has a row.
set -eu
here=$(dirname "$0")
target=$1
packages=" $2 "
failed=0
fail() { echo "check-tools: $*" >&2; failed=1; }

rows=$(grep -v '^#' "$here/tools.list" | awk -v t="$target" '$1 == t || $1 == "build" { print $2, $3, ($4 == "" ? $3 : $4) }')
echo "$rows" | while read -r tool package owned_by; do
    [ -n "$tool" ] || continue
    case "$packages" in *" $package "*) ;; *) echo "check-tools: make $target runs $tool, but its package $package is not in the target's package list" >&2; exit 1 ;; esac
    # dpkg records a path as its package shipped it: /bin/sh, not the
    # merged /usr/bin/sh, so each place is asked.
    found="" owner=""
    for dir in /usr/bin /usr/sbin /bin /sbin; do
        [ -x "$dir/$tool" ] || continue
        found=$dir/$tool
        owner=$(dpkg -S "$dir/$tool" 2>/dev/null | grep -v "^diversion" | cut -d: -f1) && [ -n "$owner" ] && break
    done
    [ -n "$found" ] || { echo "check-tools: $tool is not installed (package $package)" >&2; exit 1; }
    case ", $owner," in *", $owned_by,"*) ;; *) echo "check-tools: $found belongs to '$owner', not $owned_by as tools.list says" >&2; exit 1 ;; esac
done || failed=1

if [ "$target" = test ]; then
    # Tools the tests start by name: tool(["NAME", ...]), Process arguments
    # ["NAME", ...], Spawned.run(["/usr/bin/NAME", ...]), EngineDaemon(["/usr/bin/NAME", ...]) and OCI runtimes
    # handed to engines (--runtime NAME).
    used=$(grep -ohE 'tool\(\["[a-zA-Z0-9._-]+"|arguments = \["[a-zA-Z0-9._-]+"|Spawned\.run\(\["[a-zA-Z0-9._/-]+"|EngineDaemon\(\s*\[?\s*"[a-zA-Z0-9._/-]+"|"--runtime", "[a-zA-Z0-9._-]+"|fileURLWithPath: "/(usr/)?s?bin/[a-zA-Z0-9._-]+"' \
        "$here/../Tests/SwiftrunTests/"*.swift | sed -E 's/.*"([^"]*)"$/\1/; s|.*/||' | sort -u)
    for tool in $used; do
        case "$tool" in -c|env|serve|swiftrun) continue ;; esac
        awk -v t="$tool" '($1 == "test" || $1 == "build") && $2 == t { found = 1 } END { exit !found }' "$here/tools.list" \
            || fail "the tests run $tool, which scripts/tools.list does not list for make test"
    done
fi
exit $failed
