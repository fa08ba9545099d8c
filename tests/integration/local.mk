# Integration: real peers and an in-path byte recorder.
check_PROGRAMS += tests/integration/recorder
tests_integration_recorder_SOURCES = tests/integration/recorder.c
TESTS += tests/integration/fail-closed.sh tests/integration/tls-interop.sh tests/integration/tls-pair.sh
EXTRA_DIST += tests/integration/common.sh tests/integration/fail-closed.sh tests/integration/tls-interop.sh tests/integration/tls-pair.sh
# The XFRM library against the kernel, in throwaway network namespaces (root).
check_PROGRAMS += tests/integration/xfrm_netns
tests_integration_xfrm_netns_SOURCES = tests/integration/xfrm_netns.c
tests_integration_xfrm_netns_LDADD = libs/secsock/libsecsock.a
TESTS += tests/integration/xfrm_netns
