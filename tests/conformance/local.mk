# Conformance tests in Wine's test style: Windows programs built with
# mingw-w64's own headers and import libraries, run under Wine by the runner.
CONFORMANCE_TESTS = secsock_set secsock_query secsock_target secsock_impersonate secsock_flows passthrough secsock_tls secsock_badinput secsock_peer secsock_wfp secsock_wfp_ends secsock_zeroconf
CONFORMANCE_EXES = $(foreach t,$(CONFORMANCE_TESTS),tests/conformance/x86_64/$(t).exe tests/conformance/i686/$(t).exe)
CONFORMANCE_CFLAGS = -std=gnu11 -O1 -g -Wall -Wextra -Werror -Wno-unused-function -D_WIN32_WINNT=0x0601 \
	-DNTDDI_VERSION=0x06010000 -I$(top_srcdir)/include -I$(top_srcdir)/tests/include
CONFORMANCE_DEPS = $(top_srcdir)/tests/conformance/secsock_test.h $(top_srcdir)/tests/conformance/wfp_tuple.h $(top_srcdir)/tests/include/wine/test.h \
	$(top_srcdir)/include/secsock/securesock.h
check_DATA += $(CONFORMANCE_EXES)
CLEANFILES += $(CONFORMANCE_EXES)
TESTS += tests/conformance/run-conformance.sh
EXTRA_DIST += tests/conformance/run-conformance.sh $(CONFORMANCE_DEPS) \
	$(foreach t,$(CONFORMANCE_TESTS),tests/conformance/$(t).c)

tests/conformance/x86_64/%.exe: $(top_srcdir)/tests/conformance/%.c $(CONFORMANCE_DEPS)
	@$(MKDIR_P) $(@D)
	$(AM_V_CC)$(MINGW64_CC) $(CONFORMANCE_CFLAGS) -o $@ $< -lfwpuclnt -lws2_32
tests/conformance/i686/%.exe: $(top_srcdir)/tests/conformance/%.c $(CONFORMANCE_DEPS)
	@$(MKDIR_P) $(@D)
	$(AM_V_CC)$(MINGW32_CC) $(CONFORMANCE_CFLAGS) -o $@ $< -lfwpuclnt -lws2_32
