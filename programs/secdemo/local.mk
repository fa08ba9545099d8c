# secdemo: the Windows program tools/demo runs under Wine (mingw-w64's own
# headers and import libraries, like any Windows program).
SECDEMO = programs/secdemo/secdemo.exe
# The same program for i686, for the tests that attack 32-bit programs.
SECDEMO32 = programs/secdemo/secdemo32.exe
noinst_DATA += $(SECDEMO) $(SECDEMO32)
CLEANFILES += $(SECDEMO) $(SECDEMO32)
EXTRA_DIST += programs/secdemo/secdemo.c
$(SECDEMO): $(top_srcdir)/programs/secdemo/secdemo.c $(top_srcdir)/include/secsock/securesock.h
	@$(MKDIR_P) $(@D)
	$(AM_V_CC)$(MINGW64_CC) -std=gnu11 -O2 -Wall -Wextra -Werror -D_WIN32_WINNT=0x0601 \
		-DNTDDI_VERSION=0x06010000 -I$(top_srcdir)/include -o $@ $< -lfwpuclnt -lws2_32
$(SECDEMO32): $(top_srcdir)/programs/secdemo/secdemo.c $(top_srcdir)/include/secsock/securesock.h
	@$(MKDIR_P) $(@D)
	$(AM_V_CC)$(MINGW32_CC) -std=gnu11 -O2 -Wall -Wextra -Werror -D_WIN32_WINNT=0x0601 \
		-DNTDDI_VERSION=0x06010000 -I$(top_srcdir)/include -o $@ $< -lfwpuclnt -lws2_32
