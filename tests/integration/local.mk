# Integration: real peers and an in-path byte recorder.
check_PROGRAMS += tests/integration/recorder
tests_integration_recorder_SOURCES = tests/integration/recorder.c
check_PROGRAMS += tests/integration/wirecount
tests_integration_wirecount_SOURCES = tests/integration/wirecount.c
check_PROGRAMS += tests/integration/vici_probe
tests_integration_vici_probe_SOURCES = tests/integration/vici_probe.c
tests_integration_vici_probe_LDADD = libs/unix/libsecsock_unix.a libs/secsock/libsecsock.a
TESTS += tests/integration/fail-closed.sh tests/integration/tls-interop.sh tests/integration/tls-pair.sh \
	tests/integration/vici-charon.sh tests/integration/ipsec-netns.sh tests/integration/identity-netns.sh \
	tests/integration/tls-ca-interop.sh
EXTRA_DIST += tests/integration/not_tls.py tests/integration/common.sh tests/integration/checks.sh tests/integration/netns.sh \
	tests/integration/fail-closed.sh tests/integration/tls-interop.sh tests/integration/tls-pair.sh \
	tests/integration/vici-charon.sh tests/integration/ipsec-netns.sh tests/integration/identity-netns.sh \
	tests/integration/tls-ca-interop.sh tests/integration/charon-plugins.sh
# The XFRM library against the kernel, in throwaway network namespaces (root).
check_PROGRAMS += tests/integration/xfrm_netns
tests_integration_xfrm_netns_SOURCES = tests/integration/xfrm_netns.c
tests_integration_xfrm_netns_LDADD = libs/unix/libsecsock_unix.a libs/secsock/libsecsock.a
TESTS += tests/integration/xfrm_netns
# Robustness (issue 5): another local user, faults, load.
check_PROGRAMS += tests/integration/ctl_probe
tests_integration_ctl_probe_SOURCES = tests/integration/ctl_probe.c
tests_integration_ctl_probe_LDADD = libs/unix/libsecsock_unix.a libs/secsock/libsecsock.a
TESTS += tests/integration/other-user.sh
EXTRA_DIST += tests/integration/other-user.sh
check_PROGRAMS += tests/integration/fault_peer
tests_integration_fault_peer_SOURCES = tests/integration/fault_peer.c
# sockstress: the Windows program of faults.sh and load.sh (mingw-w64, like secdemo).
SOCKSTRESS = tests/integration/sockstress.exe
check_DATA += $(SOCKSTRESS)
CLEANFILES += $(SOCKSTRESS)
EXTRA_DIST += tests/integration/sockstress.c
$(SOCKSTRESS): $(top_srcdir)/tests/integration/sockstress.c $(top_srcdir)/include/secsock/securesock.h
	@$(MKDIR_P) $(@D)
	$(AM_V_CC)$(MINGW64_CC) -std=gnu11 -O2 -Wall -Wextra -Werror -D_WIN32_WINNT=0x0601 \
		-DNTDDI_VERSION=0x06010000 -I$(top_srcdir)/include -o $@ $< -lfwpuclnt -lws2_32
TESTS += tests/integration/faults.sh
EXTRA_DIST += tests/integration/faults.sh
TESTS += tests/integration/load.sh
EXTRA_DIST += tests/integration/load.sh
# The adversarial suite (issue 9): attacks on the fail-closed promise.
ATTACK_WIN = tests/integration/attack_win.exe
ATTACK_WIN32 = tests/integration/attack_win32.exe
check_DATA += $(ATTACK_WIN) $(ATTACK_WIN32)
CLEANFILES += $(ATTACK_WIN) $(ATTACK_WIN32)
EXTRA_DIST += tests/integration/attack_win.c tests/integration/adv_helper.py
$(ATTACK_WIN): $(top_srcdir)/tests/integration/attack_win.c $(top_srcdir)/include/secsock/securesock.h
	@$(MKDIR_P) $(@D)
	$(AM_V_CC)$(MINGW64_CC) -std=gnu11 -O2 -Wall -Wextra -Werror -D_WIN32_WINNT=0x0601 \
		-DNTDDI_VERSION=0x06010000 -I$(top_srcdir)/include -o $@ $< -lfwpuclnt -lws2_32 -lmswsock
$(ATTACK_WIN32): $(top_srcdir)/tests/integration/attack_win.c $(top_srcdir)/include/secsock/securesock.h
	@$(MKDIR_P) $(@D)
	$(AM_V_CC)$(MINGW32_CC) -std=gnu11 -O2 -Wall -Wextra -Werror -D_WIN32_WINNT=0x0601 \
		-DNTDDI_VERSION=0x06010000 -I$(top_srcdir)/include -o $@ $< -lfwpuclnt -lws2_32 -lmswsock
TESTS += tests/integration/adversarial.sh tests/integration/adversarial-i686.sh
EXTRA_DIST += tests/integration/adversarial.sh tests/integration/adversarial-i686.sh
# Another user impersonating the service (issue 9): a fake service on the
# freed control port, a runtime directory of another user.
ATTACK_CLIENT = tests/integration/attack_client.exe
ATTACK_CLIENT32 = tests/integration/attack_client32.exe
check_DATA += $(ATTACK_CLIENT) $(ATTACK_CLIENT32)
CLEANFILES += $(ATTACK_CLIENT) $(ATTACK_CLIENT32)
EXTRA_DIST += tests/integration/attack_client.c tests/integration/fake_service.py tests/integration/attack-control.sh
$(eval $(call mingw_program,$(ATTACK_CLIENT),tests/integration/attack_client.c,MINGW64_CC))
$(eval $(call mingw_program,$(ATTACK_CLIENT32),tests/integration/attack_client.c,MINGW32_CC))
TESTS += tests/integration/attack-control.sh tests/integration/attack-control-i686.sh
EXTRA_DIST += tests/integration/attack-control-i686.sh
