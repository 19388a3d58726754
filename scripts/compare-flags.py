#!/usr/bin/env python3
"""Lists, for each swiftrun command, the flags Docker's CLI has and swiftrun
lacks, and the flags whose short forms differ. Reads `docker CMD --help`
(any Docker client: the help needs no daemon) and `swiftrun CMD --help`.
Usage: scripts/compare-flags.py SWIFTRUN_BINARY > docs/DOCKER-FLAGS.md"""
import re, subprocess, sys

COMMANDS = ["run", "ps", "rm", "commit", "stats", "images", "rmi", "tag", "history", "import", "load", "save", "pull",
            "build", "login", "logout", "inspect", "info", "version", "image prune", "container prune", "system df", "system prune",
            "logs", "stop", "start", "restart", "kill", "wait", "pause", "unpause", "exec", "attach", "cp", "top", "port", "rename",
            "volume create", "volume ls", "volume inspect", "volume rm", "volume prune"]

def flags(text, pattern):
    found = {}
    for short, long in re.findall(pattern, text, re.M):
        found[long] = short or None
    return found

def docker(command):
    out = subprocess.run(["docker"] + command.split() + ["--help"], capture_output=True, text=True).stdout
    return flags(out, r"^\s+(?:-(\w), )?--([a-z0-9-]+)")

def ours(binary, command):
    out = subprocess.run([binary] + command.split() + ["--help"], capture_output=True, text=True).stdout
    options = out.split("OPTIONS:")[-1] if "OPTIONS:" in out else ""
    found = {}
    for line in options.splitlines():
        names = re.findall(r"(?:^|[ ,/])(-\w|--[a-z0-9-]+)", line.split("  ")[1] if line.startswith("  ") and len(line.split("  ")) > 1 else line)
        longs = [n[2:] for n in names if n.startswith("--")]
        shorts = [n[1:] for n in names if not n.startswith("--")]
        for long in longs:
            found[long] = shorts[0] if shorts else None
    return found

binary = sys.argv[1]
print("# Docker's flags that swiftrun lacks\n")
print("Made by `scripts/compare-flags.py` from `docker CMD --help` (Docker client "
      + subprocess.run(["docker", "--version"], capture_output=True, text=True).stdout.split(",")[0].replace("Docker version ", "")
      + ") and `swiftrun CMD --help`. `--help` itself is left out.\n")
print("| command | Docker flags swiftrun lacks | short forms that differ |")
print("|---|---|---|")
for command in COMMANDS:
    theirs, mine = docker(command), ours(binary, command)
    theirs.pop("help", None); mine.pop("help", None)
    missing = sorted(set(theirs) - set(mine))
    differ = sorted(f"--{n}: docker -{theirs[n]}, swiftrun " + (f"-{mine[n]}" if mine[n] else "none")
                    for n in set(theirs) & set(mine) if theirs[n] != mine[n])
    print(f"| `{command}` | {', '.join('`--' + m + '`' for m in missing) or 'none'} | {'; '.join(differ) or 'none'} |")
