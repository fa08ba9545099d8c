# secsockd: the per-user service.  Everything but main.c is a library, so
# that the unit tests exercise the same policy and backends.
noinst_LIBRARIES += server/libsecsockd.a
server_libsecsockd_a_SOURCES = \
	server/runtime_dir.c server/runtime_dir.h \
	server/service.c server/service.h \
	server/session.c server/session.h \
	server/policy.c server/policy.h \
	server/backend.h \
	server/backend_none.c \
	server/backend_tls.c server/backend_tls_relay.c server/backend_tls_relay.h \
	server/tls_trust.c server/tls_trust.h \
	server/backend_tls_side.c server/backend_tls_side.h \
	server/discovery_service.c server/discovery_service.h \
	server/backend_ipsec.c server/backend_ipsec.h server/backend_ipsec_setup.c server/backend_ipsec_leftovers.c \
	server/lease.c server/lease.h \
	server/hidden_guard.c server/hidden_guard.h \
	server/sockaddr_posix.c server/sockaddr_posix.h \
	server/peer_uid.c server/peer_uid.h \
	server/sock_diag.c server/sock_diag.h \
	server/secured_list.c server/secured_list.h \
	server/ktls.c server/ktls.h \
	server/log.c server/log.h
server_libsecsockd_a_CFLAGS = $(AM_CFLAGS) $(GNUTLS_CFLAGS)
bin_PROGRAMS += server/secsockd
server_secsockd_SOURCES = server/main.c
server_secsockd_CFLAGS = $(AM_CFLAGS) $(GNUTLS_CFLAGS)
server_secsockd_LDADD = server/libsecsockd.a libs/unix/libsecsock_unix.a libs/secsock/libsecsock.a $(GNUTLS_LIBS) -lpthread
