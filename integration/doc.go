// Package integration holds the tests that run against a real Apache Kafka
// broker, built with the tag "integration". `make test-kafka` (and .ci/run)
// starts a single-node KRaft broker from scripts/kafka/kafka.sh, sets
// KAFKA_BROKERS, ACTIVA_PYTHON (a Python with confluent-kafka) and
// ACTIVA_KAFKA_SCRIPT, and runs them:
//
//	go test -tags integration -run Integration ./integration/...
//
// Each test uses its own topic prefix, so the suite shares one broker.
package integration
