# The two commands a new user needs. Each installs what is missing first (apt-get, as root).
.PHONY: demo test deps

deps:
	./scripts/install-deps

demo: deps
	./scripts/demo

test: deps
	./scripts/test
