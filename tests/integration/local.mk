# Integration: real peers and an in-path byte recorder.
check_PROGRAMS += tests/integration/recorder
tests_integration_recorder_SOURCES = tests/integration/recorder.c
check_PROGRAMS += tests/integration/vici_probe
tests_integration_vici_probe_SOURCES = tests/integration/vici_probe.c
tests_integration_vici_probe_LDADD = libs/secsock/libsecsock.a
TESTS += tests/integration/fail-closed.sh tests/integration/tls-interop.sh tests/integration/tls-pair.sh \
	tests/integration/vici-charon.sh
EXTRA_DIST += tests/integration/common.sh tests/integration/fail-closed.sh tests/integration/tls-interop.sh tests/integration/tls-pair.sh \
	tests/integration/vici-charon.sh
