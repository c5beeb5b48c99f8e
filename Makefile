# Vetdesk's two commands, and the pieces they are made of.
#
#   make run    install what is missing, build, and open the app on a demo clinic
#   make test   install what is missing and run every test (what CI runs)
#   make bench  run the benchmarks (release build) and print their tables
#
# Builds share one Cargo target directory outside the clone, so a second clone (or
# CI on the same machine) builds incrementally. Override with CARGO_TARGET_DIR.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

export CARGO_TARGET_DIR ?= $(HOME)/.cache/vetdesk/target
export CARGO_TERM_COLOR ?= $(if $(CI),never,auto)
DEMO_DIR ?= $(CURDIR)/.vetdesk-demo

.PHONY: help run test bench doctor setup-run setup-test ui ui-test app lint fmt clean-demo

help:
	@echo "make run      install what is missing and open the app on a demo clinic"
	@echo "make test     install what is missing and run every test"
	@echo "make doctor   check this machine (packages, keyring, audio, model, data, server)"
	@echo "make lint     cargo fmt --check and clippy -D warnings"
	@echo "make bench    benchmarks (BENCH_SCALE=N records, default 100000; BENCH_SYNC_CHANGES=N, default 1000000), printed as tables"

setup-run:
	@scripts/setup.sh run

setup-test:
	@scripts/setup.sh test

ui:
	npm --prefix ui run build --silent

app: ui
	cargo build -p vetdesk-app -p vetdesk-cli -p vetdesk-sync-server

run: setup-run app
	DEMO_DIR="$(DEMO_DIR)" scripts/run-app.sh

doctor: setup-run
	cargo build -q -p vetdesk-cli
	"$(CARGO_TARGET_DIR)/debug/vetdesk" --data-dir "$(DEMO_DIR)" doctor

lint: ui
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings
	npm --prefix ui run lint --silent

fmt:
	cargo fmt --all

ui-test:
	npm --prefix ui test --silent

test: setup-test lint ui-test app
	scripts/with-keyring.sh cargo test --workspace

bench: setup-test
	cargo build --release -p vetdesk-cli
	cargo bench -p vetdesk-core --bench records
	cargo bench -p vetdesk-core --bench billing
	cargo bench -p vetdesk-e2e --bench sync
	cargo bench -p vetdesk-scribe --bench scribe --no-run
	VETDESK_WHISPER_CLI="$$(scripts/build-whisper-cli.sh)" cargo bench -p vetdesk-scribe --bench scribe
	$(MAKE) ui
	cargo build --release -p vetdesk-app
	scripts/with-keyring.sh cargo bench -p vetdesk-e2e --bench app

clean-demo:
	rm -rf "$(DEMO_DIR)"
