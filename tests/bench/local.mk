# The benchmark: `make bench` (never part of `make check`).  bench.exe is a
# Windows program like secdemo, built by a plain `make`.
BENCH_EXE = tests/bench/bench.exe
noinst_DATA += $(BENCH_EXE)
CLEANFILES += $(BENCH_EXE) tests/bench/results.md
EXTRA_DIST += tests/bench/bench.h tests/bench/bench.c tests/bench/bench_server.c tests/bench/bench_client.c \
	tests/bench/run-bench.sh
$(BENCH_EXE): $(top_srcdir)/tests/bench/bench.h $(top_srcdir)/tests/bench/bench.c \
		$(top_srcdir)/tests/bench/bench_server.c $(top_srcdir)/tests/bench/bench_client.c \
		$(top_srcdir)/include/secsock/securesock.h
	@$(MKDIR_P) $(@D)
	$(AM_V_CC)$(MINGW64_CC) -std=gnu11 -O2 -Wall -Wextra -Werror -D_WIN32_WINNT=0x0601 \
		-DNTDDI_VERSION=0x06010000 -I$(top_srcdir)/include -o $@ $(top_srcdir)/tests/bench/bench.c \
		$(top_srcdir)/tests/bench/bench_server.c $(top_srcdir)/tests/bench/bench_client.c -lfwpuclnt -lws2_32

.PHONY: bench
bench: all
	$(AM_TESTS_ENVIRONMENT) $(SHELL) $(top_srcdir)/tests/bench/run-bench.sh
