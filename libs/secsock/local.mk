# libsecsock: what secsockd, secsockctl and the tests share with the DLLs.
noinst_LIBRARIES += libs/secsock/libsecsock.a
libs_secsock_libsecsock_a_SOURCES = \
	libs/secsock/proto.c \
	libs/secsock/runtime.c \
	libs/secsock/sha256.c include/secsock/sha256.h \
	libs/secsock/auth.c include/secsock/auth.h \
	libs/secsock/settings.c \
	libs/secsock/client_posix.c \
	libs/secsock/tls_relay.c \
	libs/secsock/tls_identity.c \
	libs/secsock/vici.c \
	libs/secsock/vici_tree.c \
	libs/secsock/vici_build.c \
	libs/secsock/vici_client.c \
	libs/secsock/vici_commands.c \
	libs/secsock/xfrm_msg.c include/secsock/xfrm.h include/secsock/xfrm_msg.h \
	libs/secsock/xfrm_nl.c libs/secsock/xfrm_nl.h \
	libs/secsock/xfrm_policy.c \
	libs/secsock/xfrm_events.c \
	libs/secsock/xfrm_probe.c
EXTRA_DIST += include/secsock/messages.def
