# secsockd: the per-user service.
bin_PROGRAMS += server/secsockd
server_secsockd_SOURCES = \
	server/main.c \
	server/runtime_dir.c server/runtime_dir.h \
	server/service.c server/service.h \
	server/session.c server/session.h \
	server/policy.c server/policy.h \
	server/lease.c server/lease.h \
	server/hidden_guard.c server/hidden_guard.h \
	server/sockaddr_posix.c server/sockaddr_posix.h \
	server/peer_uid.c server/peer_uid.h \
	server/sock_diag.c server/sock_diag.h \
	server/trust.c server/trust.h \
	server/relay_conn.c server/relay_conn.h \
	server/ipsec.c server/ipsec.h \
	server/secured_list.c server/secured_list.h \
	server/ktls.c server/ktls.h \
	server/log.c server/log.h
server_secsockd_CFLAGS = $(AM_CFLAGS) $(GNUTLS_CFLAGS)
server_secsockd_LDADD = libs/unix/libsecsock_unix.a libs/secsock/libsecsock.a $(GNUTLS_LIBS) -lpthread
