# activa: build, test and check. `.ci/run` runs the same targets.
#
#   make build        the activa binary in build/activa
#   make demo         the demo on the embedded broker and registry
#   make test         unit and end-to-end tests (in-process kfake and srfake), with -race;
#                     the KPI acceptance replay without
#   make test-kafka   the integration suite (build tag "integration") against a real Apache Kafka broker
#   make bench        benchmarks only
#   make lint         golangci-lint v2 (built into build/bin on first use)
#   make fmt-check    fails when a Go file is not gofmt-ed
#   make tidy-check   fails when `go mod tidy` changes go.mod or go.sum
#
# The real broker for test-kafka is started and stopped by scripts/kafka/kafka.sh
# (Apache Kafka jars from Maven Central, KRaft, no Docker); see that script.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := build

GO ?= go
PYTHON ?= python3
BENCHTIME ?= 1s
INTEGRATION_TIMEOUT ?= 30m
INTEGRATION_RUN ?= Integration

# The test broker listens on 127.0.0.1:$(KAFKA_PORT); kafka.sh reads the same variable.
export KAFKA_PORT ?= 29092
KAFKA_SH := scripts/kafka/kafka.sh
PG_SH := scripts/postgres/postgres.sh
KAFKA_BROKERS := 127.0.0.1:$(KAFKA_PORT)

# Python environment for integration/python/check_avro.py (confluent-kafka).
VENV := build/venv
# Debian's python3-aiosmtpd installs into the system interpreter.
AIOSMTPD_PYTHON ?= /usr/bin/python3
VENV_STAMP := $(VENV)/.installed

.PHONY: build demo test test-kafka bench lint fmt-check tidy-check venv kafka-fetch kafka-start kafka-stop

build:
	$(GO) build -o build/activa ./cmd/activa

demo:
	$(GO) run ./cmd/activa demo

# The KPI acceptance replays (28 days of 100,000 and of 20,000 persons) skip themselves
# under -race, which slows them tenfold, and run in a second pass without it.
test:
	$(GO) test -race -count=1 ./...
	$(GO) test -count=1 -run '^(TestShortfallsAreCaughtEarlyAndCleanSeriesStayQuiet|TestConversionForecastIsCalibratedOnCleanSessions)$$' ./processors/kpi

# Starts a fresh broker, runs the integration tests against it and stops the broker
# whatever happens (the EXIT trap, set only once this recipe's broker is up, so a
# broker that was already running is refused by kafka.sh and left alone); the target
# fails with the tests' status. The tests find the broker script in
# ACTIVA_KAFKA_SCRIPT (to restart it in fault tests) and the Python with
# confluent-kafka in ACTIVA_PYTHON, the Python with Debian's aiosmtpd (the SMTP
# server of the e-mail tests) in ACTIVA_AIOSMTPD_PYTHON, and a PostgreSQL server
# (Debian's, started for the run on loopback, data under build/postgres) in
# ACTIVA_POSTGRES_DSN.
test-kafka: kafka-fetch venv
	$(KAFKA_SH) start >/dev/null; \
	trap '$(KAFKA_SH) stop; $(PG_SH) stop' EXIT; \
	$(PG_SH) start; \
	KAFKA_BROKERS=$(KAFKA_BROKERS) \
	ACTIVA_POSTGRES_DSN="$$($(PG_SH) dsn)" \
	ACTIVA_INTEGRATION=1 \
	ACTIVA_KAFKA_SCRIPT="$(CURDIR)/$(KAFKA_SH)" \
	ACTIVA_PYTHON="$(CURDIR)/$(VENV)/bin/python" \
	ACTIVA_AIOSMTPD_PYTHON="$(AIOSMTPD_PYTHON)" \
	$(GO) test -tags integration -count=1 -race -timeout $(INTEGRATION_TIMEOUT) -run '$(INTEGRATION_RUN)' -v ./integration/...

bench:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) ./...

# golangci-lint v2 with the linters of .golangci.yml, built from the Go module proxy
# into build/bin on first use.
GOLANGCI_LINT_VERSION ?= v2.15.0
GOLANGCI_LINT := build/bin/golangci-lint

$(GOLANGCI_LINT):
	GOBIN="$(CURDIR)/build/bin" $(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION)

lint: $(GOLANGCI_LINT)
	$(GOLANGCI_LINT) run ./...
	$(GOLANGCI_LINT) run --build-tags integration ./integration/...

fmt-check:
	@files=$$(gofmt -l $$($(GO) list -f '{{.Dir}}' ./...)); \
	if [ -n "$$files" ]; then echo "not gofmt-ed:"; echo "$$files"; exit 1; fi

tidy-check:
	$(GO) mod tidy
	git diff --exit-code go.mod go.sum

venv: $(VENV_STAMP)

$(VENV_STAMP): integration/python/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r integration/python/requirements.txt
	touch $@

kafka-fetch:
	$(KAFKA_SH) fetch

kafka-start: kafka-fetch
	$(KAFKA_SH) start

kafka-stop:
	$(KAFKA_SH) stop
