# libFuzzer targets, one per decoder of bytes from outside the process,
# built with clang and sanitizers when configure found libFuzzer.
FUZZ_TARGETS = tests/fuzz/fuzz_proto tests/fuzz/fuzz_settings tests/fuzz/fuzz_control_file \
	tests/fuzz/fuzz_proc_net_tcp tests/fuzz/fuzz_peers tests/fuzz/fuzz_vici tests/fuzz/fuzz_xfrm \
	tests/fuzz/fuzz_sock_diag tests/fuzz/fuzz_discovery tests/fuzz/fuzz_peer_name tests/fuzz/fuzz_hosts
FUZZ_FLAGS = -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-I$(top_srcdir)/include -I$(top_srcdir)/libs -D_GNU_SOURCE
EXTRA_DIST += tests/fuzz/run-fuzz.sh tests/fuzz/corpus $(addsuffix .c,$(FUZZ_TARGETS))
TESTS += tests/fuzz/run-fuzz.sh
if HAVE_LIBFUZZER
check_DATA += $(FUZZ_TARGETS)
CLEANFILES += $(FUZZ_TARGETS)
tests/fuzz/fuzz_proto: $(top_srcdir)/tests/fuzz/fuzz_proto.c $(top_srcdir)/libs/secsock/proto.c
	$(AM_V_CC)$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $^
tests/fuzz/fuzz_settings: $(top_srcdir)/tests/fuzz/fuzz_settings.c $(top_srcdir)/libs/secsock/settings.c
	$(AM_V_CC)$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $^
tests/fuzz/fuzz_control_file: $(top_srcdir)/tests/fuzz/fuzz_control_file.c $(top_srcdir)/libs/secsock/runtime.c
	$(AM_V_CC)$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $^
tests/fuzz/fuzz_proc_net_tcp: $(top_srcdir)/tests/fuzz/fuzz_proc_net_tcp.c $(top_srcdir)/server/peer_uid.c \
		$(top_srcdir)/server/sock_diag.c
	$(AM_V_CC)$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $^
tests/fuzz/fuzz_sock_diag: $(top_srcdir)/tests/fuzz/fuzz_sock_diag.c $(top_srcdir)/server/sock_diag.c
	$(AM_V_CC)$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $^
tests/fuzz/fuzz_peers: $(top_srcdir)/tests/fuzz/fuzz_peers.c $(top_srcdir)/libs/unix/peers_parse.c \
		$(top_srcdir)/libs/secsock/sha256.c
	$(AM_V_CC)$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $^
tests/fuzz/fuzz_vici: $(top_srcdir)/tests/fuzz/fuzz_vici.c $(top_srcdir)/libs/unix/vici.c \
		$(top_srcdir)/libs/unix/vici_tree.c $(top_srcdir)/libs/unix/vici_build.c
	$(AM_V_CC)$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $^
tests/fuzz/fuzz_xfrm: $(top_srcdir)/tests/fuzz/fuzz_xfrm.c $(top_srcdir)/libs/unix/xfrm_msg.c
	$(AM_V_CC)$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $^
tests/fuzz/fuzz_discovery: $(top_srcdir)/tests/fuzz/fuzz_discovery.c $(top_srcdir)/libs/unix/discovery.c
	$(AM_V_CC)$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $^
# The name parser maps international names with GnuTLS (libidn2).
tests/fuzz/fuzz_peer_name: $(top_srcdir)/tests/fuzz/fuzz_peer_name.c $(top_srcdir)/libs/unix/peer_name.c
	$(AM_V_CC)$(FUZZ_CC) $(FUZZ_FLAGS) $(GNUTLS_CFLAGS) -o $@ $^ $(GNUTLS_LIBS)
tests/fuzz/fuzz_hosts: $(top_srcdir)/tests/fuzz/fuzz_hosts.c $(top_srcdir)/libs/unix/host_names.c \
		$(top_srcdir)/libs/unix/peer_name.c $(top_srcdir)/libs/unix/private_file.c
	$(AM_V_CC)$(FUZZ_CC) $(FUZZ_FLAGS) $(GNUTLS_CFLAGS) -o $@ $^ $(GNUTLS_LIBS)

# make fuzz: each target for FUZZ_SECONDS (default 300).
fuzz: $(FUZZ_TARGETS)
	top_builddir='$(abs_top_builddir)' top_srcdir='$(abs_top_srcdir)' FUZZ_SECONDS=$${FUZZ_SECONDS:-300} \
		$(top_srcdir)/tests/fuzz/run-fuzz.sh
endif
