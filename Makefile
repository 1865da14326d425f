# The two commands a new user needs. Each installs what is missing first (apt-get, as root).
.PHONY: demo test deps bench

deps:
	./scripts/install-deps

GUEST ?= centos5

demo: deps
	./scripts/demo $(GUEST)

test: deps
	./scripts/test

bench: deps
	./scripts/bench
