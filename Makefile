# swiftrun: a small, fast Linux container runtime.
#
#   make demo    set up everything on a fresh Debian machine and run a first container
#   make test    set up everything and run the whole test suite (as root)
#   make bench   start-up latency beside crun, runc and the bare namespace floor
#
# Every target installs the Debian packages it needs first.

SWIFT        ?= swift
RELEASE_FLAGS = -c release --static-swift-stdlib
SAMPLE        = rootfs-samples/out/busybox.tar
PROBE_IMAGE   = rootfs-samples/out/probe.tar
RELEASE_BIN   = .build/release/swiftrun
DEBUG_BIN     = .build/debug/swiftrun

# Build and run needs; test needs; bench needs.
BUILD_PACKAGES = libseccomp-dev libcap-dev zlib1g-dev libzstd-dev libssl-dev busybox-static
TEST_PACKAGES  = python3 gcc libc6-dev umoci skopeo podman
BENCH_PACKAGES = crun runc podman umoci hyperfine

.PHONY: all deps test-deps bench-deps build samples demo test bench install clean

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

bench-deps: deps
	$(call apt_install,$(BENCH_PACKAGES))

build: deps
	$(SWIFT) build $(RELEASE_FLAGS)

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

test: test-deps samples $(PROBE_IMAGE)
	$(SWIFT) build --build-tests
	SWIFTRUN_BIN=$(CURDIR)/$(DEBUG_BIN) SWIFTRUN_SAMPLE=$(CURDIR)/$(SAMPLE) SWIFTRUN_PROBE_IMAGE=$(CURDIR)/$(PROBE_IMAGE) \
		$(SWIFT) test --skip-build --parallel

bench: bench-deps build samples
	@./scripts/bench.sh $(RELEASE_BIN) $(SAMPLE)
	@./scripts/bench-unpack.sh $(RELEASE_BIN)

install: build
	install -m 755 $(RELEASE_BIN) /usr/local/bin/swiftrun

clean:
	rm -rf .build rootfs-samples/out
