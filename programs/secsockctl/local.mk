# secsockctl: the command line.
bin_PROGRAMS += programs/secsockctl/secsockctl
programs_secsockctl_secsockctl_SOURCES = \
	programs/secsockctl/main.c \
	programs/secsockctl/prefix.c programs/secsockctl/prefix.h \
	programs/secsockctl/pki.h programs/secsockctl/pki_common.c \
	programs/secsockctl/ca.c programs/secsockctl/enroll.c programs/secsockctl/identity.c \
	programs/secsockctl/pe_exports.c programs/secsockctl/pe_exports.h
programs_secsockctl_secsockctl_CPPFLAGS = $(AM_CPPFLAGS) \
	-DPKGLIBDIR='"$(pkglibdir)"' -DBINDIR='"$(bindir)"' \
	-DWINE64='"$(WINE64)"' -DWINESERVER='"$(WINESERVER)"'
programs_secsockctl_secsockctl_CFLAGS = $(AM_CFLAGS) $(GNUTLS_CFLAGS)
programs_secsockctl_secsockctl_LDADD = libs/unix/libsecsock_unix.a libs/secsock/libsecsock.a $(GNUTLS_LIBS)
# The paths above are compiled in: a new configure (another --prefix) must rebuild.
programs/secsockctl/secsockctl-main.$(OBJEXT): Makefile
