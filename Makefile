# The two commands a new user needs. Each installs what is missing first (apt-get, as root).
.PHONY: demo test deps bench install archive fuzz

deps:
	./scripts/install-deps

GUEST ?= centos5

demo: deps
	./scripts/demo $(GUEST)

test: deps
	./scripts/test

bench: deps
	./scripts/bench
	./scripts/bench-migrate
	./scripts/bench-remote

# The libFuzzer harnesses in Fuzz/, FUZZ_SECONDS each (default 60); see README, Fuzzing.
FUZZ_SECONDS ?= 60

fuzz: deps
	FUZZ_SECONDS=$(FUZZ_SECONDS) ./scripts/fuzz

# A self-contained binary (the Swift runtime linked in: a migration host needs no Swift), the
# launcher its guest programs run in (C, libc only) and the guest helpers, where the binary
# looks for them; and the forced command for the KVM host's key on a Xen host (README,
# "Restricting the KVM host's key").
PREFIX ?= /usr/local

install:
	swift build -c release --static-swift-stdlib --scratch-path .build-install --product xen2kvm
	swift build -c release --scratch-path .build-install --product xen2kvm-sandbox
	install -D -m 755 .build-install/release/xen2kvm $(DESTDIR)$(PREFIX)/bin/xen2kvm
	install -D -m 755 .build-install/release/xen2kvm-sandbox $(DESTDIR)$(PREFIX)/lib/xen2kvm/xen2kvm-sandbox
	install -d $(DESTDIR)$(PREFIX)/lib/xen2kvm/helpers
	install -m 755 helpers/* $(DESTDIR)$(PREFIX)/lib/xen2kvm/helpers/
	install -m 755 ssh/xen2kvm-ssh-command $(DESTDIR)$(PREFIX)/lib/xen2kvm/xen2kvm-ssh-command

# What the Ansible role installs on the KVM hosts (its xen2kvm_archive): `make install`'s tree
# for PREFIX, packed by scripts/install-archive.
ARCHIVE ?= xen2kvm.tar.gz

archive:
	rm -rf .build-archive
	$(MAKE) install DESTDIR=$(CURDIR)/.build-archive
	./scripts/install-archive $(CURDIR)/.build-archive $(PREFIX) $(ARCHIVE)
