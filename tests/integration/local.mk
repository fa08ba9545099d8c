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
# The XFRM library against the kernel, in throwaway network namespaces (root).
check_PROGRAMS += tests/integration/xfrm_netns
tests_integration_xfrm_netns_SOURCES = tests/integration/xfrm_netns.c
tests_integration_xfrm_netns_LDADD = libs/secsock/libsecsock.a
TESTS += tests/integration/xfrm_netns
# Robustness (issue 5): another local user, faults, load.
check_PROGRAMS += tests/integration/ctl_probe
tests_integration_ctl_probe_SOURCES = tests/integration/ctl_probe.c
tests_integration_ctl_probe_LDADD = libs/secsock/libsecsock.a
TESTS += tests/integration/other-user.sh
EXTRA_DIST += tests/integration/other-user.sh
