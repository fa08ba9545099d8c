# Unit tests (check) for the Linux side.
check_PROGRAMS += tests/unit/unit_tests
TESTS += tests/unit/unit_tests
tests_unit_unit_tests_SOURCES = \
	tests/unit/main.c tests/unit/unit.h \
	tests/unit/test_proto.c \
	tests/unit/test_settings.c \
	tests/unit/test_misc.c \
	tests/unit/test_peers.c \
	tests/unit/test_service.c \
	tests/unit/test_tls.c \
	tests/unit/test_vici.c \
	tests/unit/test_vici_client.c \
	tests/unit/test_xfrm.c \
	tests/unit/test_sha256.c \
	tests/unit/pki_fixture.c tests/unit/pki_fixture.h \
	tests/unit/test_peer_name.c \
	tests/unit/test_identity.c \
	tests/unit/test_trust_anchors.c \
	tests/unit/test_tls_trust.c \
	tests/unit/test_discovery.c \
	tests/unit/test_secsockctl_pki.c \
	tests/unit/test_secured_list.c \
	programs/secsockctl/prefix.c programs/secsockctl/pe_exports.c
tests_unit_unit_tests_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(GNUTLS_CFLAGS)
tests_unit_unit_tests_LDADD = server/libsecsockd.a libs/unix/libsecsock_unix.a libs/secsock/libsecsock.a $(CHECK_LIBS) $(GNUTLS_LIBS) -lpthread
