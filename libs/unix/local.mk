# libsecsock_unix: the Linux-only parts secsockd, secsockctl and the tests
# share (never built into a DLL): the control channel's Linux client, the
# TLS relay and identity (GnuTLS), VICI (charon) and XFRM (netlink).
noinst_LIBRARIES += libs/unix/libsecsock_unix.a
libs_unix_libsecsock_unix_a_SOURCES = \
	libs/unix/client_posix.c libs/unix/client.h \
	libs/unix/peers.c libs/unix/peers_parse.c libs/unix/peers.h \
	libs/unix/tls_relay.c libs/unix/tls_relay.h \
	libs/unix/tls_identity.c libs/unix/tls_identity.h \
	libs/unix/private_file.c libs/unix/private_file.h \
	libs/unix/host_names.c libs/unix/host_names.h \
	libs/unix/peer_name.c libs/unix/peer_name.h \
	libs/unix/cert_issue.c libs/unix/cert_issue.h \
	libs/unix/key_pair.c libs/unix/key_pair.h \
	libs/unix/local_ca.c libs/unix/local_ca.h \
	libs/unix/host_identity.c libs/unix/host_identity.h \
	libs/unix/trust_anchors.c libs/unix/trust_anchors.h \
	libs/unix/trust_verdict.h \
	libs/unix/discovery.c libs/unix/discovery.h \
	libs/unix/discovery_cache.c libs/unix/discovery_cache.h \
	libs/unix/vici.c libs/unix/vici.h \
	libs/unix/vici_tree.c \
	libs/unix/vici_build.c \
	libs/unix/vici_client.c libs/unix/vici_client.h \
	libs/unix/vici_commands.c \
	libs/unix/xfrm_msg.c libs/unix/xfrm.h libs/unix/xfrm_msg.h \
	libs/unix/xfrm_nl.c libs/unix/xfrm_nl.h \
	libs/unix/xfrm_policy.c \
	libs/unix/xfrm_events.c \
	libs/unix/xfrm_probe.c
libs_unix_libsecsock_unix_a_CFLAGS = $(AM_CFLAGS) $(GNUTLS_CFLAGS)
