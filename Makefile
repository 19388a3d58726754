# swiftrun: a small, fast Linux container runtime.
#
#   make demo    set up everything on a fresh Debian machine and run a first container
#   make test    set up everything and run the whole test suite (as root) on this host and in a VM
#   make vm-test boot Debian's kernel in QEMU with cgroup_no_v1=all and run the suite there
#   make bench   start-up latency beside crun, runc and the bare namespace floor
#   make lint    the compilers' warnings as errors, and swift format lint
#
# Every target installs the Debian packages it needs first.

SWIFT        ?= swift
# Concrete generic types (KeyedEncodingContainer<CodingKeys>, ...) reached
# through their metadata accessors, not looked up by mangled name: each such
# lookup checks its generic requirements with a linear scan of the binary's
# 4,802 conformance records. Measured: 39% fewer records visited per `run`,
# 2.3 ms less user time, 58 KB more code.
#
# The Swift runtime's C++ library, libstdc++, linked statically as well:
# the loader then maps one library fewer and binds none of its symbols on
# every start (measured: `swiftrun --version` 7.4 -> 6.3 ms). The runtime's
# autolink asks for -lstdc++; the directory below, searched first, answers
# with a one-line linker script naming the archive.
#
# And libgcc's unwinder (the _Unwind_* calls of the runtime's backtracer
# and of libstdc++), statically: libgcc_s.so.1 was one more library to map
# and bind, and its constructor asks the CPU for its features with cpuid,
# which a VM traps (7 us each here). Measured: `--version` 1.52 -> 1.39 ms,
# `run --rm` 4.92 -> 4.82 ms.
#
# No symbol exported (scripts/no-exports.map says why): `run` 1.65M ->
# 1.54M instructions, `--version` 2.54 -> 2.27 ms.
#
# Linked by the toolchain's lld rather than gold, with the binary's 22k
# relative relocations packed (DT_RELR, glibc 2.36): the loader walks a
# bitmap instead of 22k entries. `run` 1.54M -> 1.43M instructions;
# `--version` 223 -> 201 page faults, 1.55 -> 1.29 ms of CPU. (.rodata
# still lands in the writable segment: the Swift static libraries mark
# their .rodata sections writable.)
#
# No RUNPATH ($ORIGIN, which SwiftPM adds by default): with the Swift
# libraries linked in, there is nothing of ours to find there, and the
# loader looked for libm and libc in the binary's directory and its
# hwcaps and tls subdirectories first, 36 failed lookups every start. `run --rm`
# 7.72 -> 7.61 ms, `--version` 2.17 -> 2.09 ms (300 rounds).
#
# Each function in its own section, and the ones `run` executes placed
# first (scripts/run-order.txt, written by `make order`): they fault in as
# a few 64 KB windows instead of scattered over 6.6 MB of text. `run`'s
# text page faults 86 -> 37, all its faults 408 -> 352; `run --rm` on a
# tmpfs store 8.28 -> 8.10 ms (300 rounds).
STATIC_CXX    = .build/static-libstdc++
RELEASE_FLAGS = -c release --static-swift-stdlib --disable-local-rpath \
	-Xswiftc -Xfrontend -Xswiftc -function-sections \
	-Xswiftc -Xfrontend -Xswiftc -disable-concrete-type-metadata-mangled-name-accessors \
	-Xswiftc -L -Xswiftc $(CURDIR)/$(STATIC_CXX) \
	-Xswiftc -Xclang-linker -Xswiftc -static-libgcc \
	-Xlinker --version-script=$(CURDIR)/scripts/no-exports.map \
	-Xswiftc -use-ld=lld -Xlinker -z -Xlinker pack-relative-relocs \
	-Xlinker --symbol-ordering-file=$(CURDIR)/scripts/run-order.txt -Xlinker --no-warn-symbol-ordering
SAMPLE        = rootfs-samples/out/busybox.tar
PROBE_IMAGE   = rootfs-samples/out/probe.tar
RELEASE_BIN   = .build/release/swiftrun

# Build and run needs; test needs; bench needs.
BUILD_PACKAGES = g++ libseccomp-dev libcap-dev zlib1g-dev libzstd-dev libcurl4-openssl-dev libisal-dev busybox-static gcc libc6-dev libnftables1 aardvark-dns
# Each tool a target runs, and its package, is listed in scripts/tools.list;
# scripts/check-tools.sh fails a target whose list lacks one of its tools.
TEST_PACKAGES  = python3 python3-venv gcc libc6-dev zstd umoci skopeo podman runc docker-registry apache2-utils openssl tar coreutils dash util-linux procps nftables iproute2 librsvg2-bin curl systemd
# The engines the tests drive with swiftrun as their runtime, installed
# with their services neither started nor enabled (scripts/install-engines.sh).
ENGINE_PACKAGES = containerd docker.io
# The Engine API's clients, from PyPI, in a venv beside the build.
API_VENV       = .build/api-venv
API_CLIENTS    = docker==7.2.0 testcontainers==4.15.0
BENCH_PACKAGES = crun runc podman nftables umoci skopeo docker-registry hyperfine python3 python3-venv python3-matplotlib tar coreutils gzip iperf3 iproute2 util-linux debootstrap e2fsprogs mount procps
VM_PACKAGES    = qemu-system-x86 linux-image-amd64 cpio e2fsprogs iproute2 kmod systemd libsystemd0 gdb procps coreutils
LINT_PACKAGES  = gcc
ORDER_PACKAGES = linux-perf mount

.PHONY: all deps test-deps bench-deps vm-deps lint-deps order-deps order build samples demo test host-test vm-test bench lint install clean

all: build

# apt-get only when something is missing, so repeated runs cost nothing.
define apt_install
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; \
	fi
endef

deps:
	$(call apt_install,$(BUILD_PACKAGES))

test-deps: deps
	$(call apt_install,$(TEST_PACKAGES))
	@scripts/install-engines.sh $(ENGINE_PACKAGES)
	@scripts/check-tools.sh test "$(BUILD_PACKAGES) $(TEST_PACKAGES) $(ENGINE_PACKAGES)"

bench-deps: deps
	$(call apt_install,$(BENCH_PACKAGES))
	@scripts/check-tools.sh bench "$(BUILD_PACKAGES) $(BENCH_PACKAGES)"

vm-deps: deps
	$(call apt_install,$(VM_PACKAGES))
	@scripts/check-tools.sh vm "$(BUILD_PACKAGES) $(VM_PACKAGES)"

lint-deps: deps
	$(call apt_install,$(LINT_PACKAGES))
	@scripts/check-tools.sh lint "$(BUILD_PACKAGES) $(LINT_PACKAGES)"

order-deps: deps
	$(call apt_install,$(ORDER_PACKAGES))
	@scripts/check-tools.sh order "$(BUILD_PACKAGES) $(ORDER_PACKAGES)"

# A detached container's monitor becomes swiftrun-monitor, a C program
# beside the swiftrun binary, built here with gcc: as a SwiftPM product it
# would carry the Swift runtime and three times the memory.
MONITOR_SOURCES = Sources/swiftrun-monitor/main.c CShims/monitor.c CShims/attach.c
define build_monitor
	gcc -O2 -Wall -Wextra -ICShims/include -o $(1)/swiftrun-monitor $(MONITOR_SOURCES)
endef

$(STATIC_CXX)/libstdc++.so:
	@mkdir -p $(dir $@)
	echo 'INPUT(libstdc++.a)' > $@

# lld comes with the Swift toolchain, not from a Debian package: say so
# plainly if this toolchain lacks it, rather than fail in the link.
build: deps $(STATIC_CXX)/libstdc++.so
	@test -x "$$(dirname "$$(readlink -f "$$(command -v $(SWIFT))")")/ld.lld" \
		|| { echo "make build: the Swift toolchain of $(SWIFT) has no ld.lld, which RELEASE_FLAGS links with" >&2; exit 1; }
	$(SWIFT) build $(RELEASE_FLAGS)
	$(call build_monitor,.build/release)

samples: deps $(SAMPLE)

$(SAMPLE): rootfs-samples/busybox.sh
	@mkdir -p $(dir $@)
	rootfs-samples/busybox.sh $@

# The escape tests' image: busybox plus a static probe binary.
$(PROBE_IMAGE): $(SAMPLE) Tests/probe/probe.c Tests/probe/build.sh
	Tests/probe/build.sh $(SAMPLE) $@

# A first container, shown plainly: inside, pid 1, its own hostname and its
# own mounts; outside, the host's mount table unchanged.
demo: build samples
	@./scripts/demo.sh $(RELEASE_BIN) $(SAMPLE)

# The whole suite on this host (cgroup v1 or v2, whichever it has).
# The suite runs twice: here, on this host's cgroups, and in a VM booted
# with cgroup_no_v1=all, where every limit takes the pure v2 path.
test: host-test vm-test

# The suite, then HostLeftAsFoundTests alone: the host's networking as the
# suite found it (the default bridge and swiftrun's nftables table go again
# if the suite made them, and no address this suite's containers took is
# still claimed). The tests drive the release swiftrun, the one that ships.
$(API_VENV)/ready: Makefile
	rm -rf $(API_VENV)
	/usr/bin/python3 -m venv $(API_VENV)
	$(API_VENV)/bin/pip install -q $(API_CLIENTS)
	touch $@

host-test: test-deps build samples $(PROBE_IMAGE) $(API_VENV)/ready
	$(SWIFT) build --build-tests
	had=$$(nft list table ip swiftrun >/dev/null 2>&1 && echo 1 || echo 0); \
	export SWIFTRUN_BIN=$(CURDIR)/$(RELEASE_BIN) SWIFTRUN_SAMPLE=$(CURDIR)/$(SAMPLE) SWIFTRUN_PROBE_IMAGE=$(CURDIR)/$(PROBE_IMAGE); \
	started=$$(date +%s); status=0; $(SWIFT) test --skip-build --parallel || status=$$?; \
	SWIFTRUN_SUITE_DONE=1 SWIFTRUN_SUITE_STARTED=$$started SWIFTRUN_HAD_FIREWALL=$$had \
		$(SWIFT) test --skip-build --filter HostLeftAsFoundTests || status=1; \
	exit $$status

vm-test: test-deps vm-deps build samples $(PROBE_IMAGE) $(API_VENV)/ready
	$(SWIFT) build --build-tests
	./scripts/vm-test.sh
	VM_INIT=systemd VM_TESTS=OCIRuntimeTests/aSystemdScope VM_TIMEOUT=900 ./scripts/vm-test.sh

# Each script prints its own table and appends its rows beside their anchors
# to $(BENCH_OUT)/rows.jsonl; bench-plot.py gathers them into bench.json
# and draws docs/bench.png, which the README shows (with Debian's python3 and
# python3-matplotlib: another python3 may come first in PATH).
BENCH_OUT = .build/bench
# The functions `run` executes, for the linker to place first (RELEASE_FLAGS):
# sampled from the built binary, then linked again with the longer list.
order: order-deps build samples
	@scripts/run-order.sh $(RELEASE_BIN) $(SAMPLE)
	@rm -f $(RELEASE_BIN)
	@$(MAKE) --no-print-directory build

bench: export BENCH_JSON = $(abspath $(BENCH_OUT))/rows.jsonl
bench: bench-deps build samples $(API_VENV)/ready
	@rm -rf $(BENCH_OUT) && mkdir -p $(BENCH_OUT)
	@scripts/default-bridge.sh note $(BENCH_OUT)/default-bridge
	@./scripts/bench.sh $(RELEASE_BIN) $(SAMPLE)
	@./scripts/bench-pull.sh $(RELEASE_BIN) $(SAMPLE)
	@./scripts/bench-unpack.sh $(RELEASE_BIN)
	@./scripts/bench-debian.sh $(RELEASE_BIN)
	@./scripts/bench-build.sh $(RELEASE_BIN) $(SAMPLE)
	@./scripts/bench-detached.sh $(RELEASE_BIN) $(SAMPLE)
	@./scripts/bench-network.sh $(RELEASE_BIN) $(SAMPLE)
	@./scripts/bench-api.sh $(RELEASE_BIN) $(API_VENV)/bin/python3 $(SAMPLE)
	@./scripts/bench-docker.sh $(RELEASE_BIN) $(SAMPLE)
	@/usr/bin/python3 scripts/bench-plot.py $(BENCH_OUT)/rows.jsonl $(BENCH_OUT)/bench.json docs/bench.png
	@scripts/default-bridge.sh give-back $(BENCH_OUT)/default-bridge $(RELEASE_BIN)

# Swift with warnings as errors in a build dir of its own (the flags would
# otherwise rebuild .build each time); the C with gcc's -Wall -Wextra; then
# swift format's lint with the project's .swift-format.
lint: lint-deps
	$(SWIFT) build --build-tests --scratch-path .build-lint -Xswiftc -warnings-as-errors
	gcc -fsyntax-only -Wall -Wextra -Werror -ICShims/include CShims/*.c Sources/swiftrun-monitor/main.c
	@if grep -n '\.run()' Tests/SwiftrunTests/*.swift | grep -v '^Tests/SwiftrunTests/Sandbox.swift:'; then \
		echo "lint: the tests start a Process only through start(_:wiring:) (Sandbox.swift), under its lock" >&2; exit 1; fi
	gcc -fsyntax-only -Wall -Wextra -Werror -ISources/CCurl/include Sources/CCurl/curl.c
	$(SWIFT) format lint --strict --recursive Sources Tests

install: build
	install -m 755 $(RELEASE_BIN) /usr/local/bin/swiftrun
	install -m 755 $(RELEASE_BIN)-monitor /usr/local/bin/swiftrun-monitor
	install -m 755 $(RELEASE_BIN)-api /usr/local/bin/swiftrun-api
	# The boot hook (restart-policy containers come back after a reboot),
	# and the API's socket, which starts the service on demand.
	if [ -d /etc/systemd/system ]; then \
		for unit in swiftrun-boot.service swiftrun.socket swiftrun.service; do \
			install -m 644 scripts/$$unit /etc/systemd/system/$$unit; \
		done; \
		if [ -d /run/systemd/system ]; then systemctl daemon-reload && systemctl enable swiftrun-boot.service && systemctl enable --now swiftrun.socket; fi; \
	fi

clean:
	rm -rf .build rootfs-samples/out
