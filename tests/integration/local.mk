# Integration: real peers and an in-path byte recorder.
check_PROGRAMS += tests/integration/recorder
tests_integration_recorder_SOURCES = tests/integration/recorder.c
TESTS += tests/integration/fail-closed.sh tests/integration/tls-interop.sh tests/integration/tls-pair.sh
EXTRA_DIST += tests/integration/common.sh tests/integration/fail-closed.sh tests/integration/tls-interop.sh tests/integration/tls-pair.sh
