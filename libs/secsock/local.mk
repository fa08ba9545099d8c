# libsecsock: the core both sides share.  The same sources are compiled
# into the PE DLLs (dlls/local.mk: COMMON_PE_SRCS) and into this library
# for secsockd, secsockctl and the tests: plain C11, no OS headers.
noinst_LIBRARIES += libs/secsock/libsecsock.a
libs_secsock_libsecsock_a_SOURCES = \
	libs/secsock/proto.c \
	libs/secsock/runtime.c \
	libs/secsock/sha256.c include/secsock/sha256.h \
	libs/secsock/auth.c include/secsock/auth.h \
	libs/secsock/settings.c
EXTRA_DIST += include/secsock/messages.def
