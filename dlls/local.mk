# The Windows side: PE DLLs built by winegcc driving mingw-w64, against
# Wine's headers plus include/, for x86_64 and (when configure found Wine's
# i386 import libraries) i386.  Each DLL's .spec, thunks and index come
# from the exports of the Wine DLL it replaces (tools/pe-exports reads them
# at build time) merged with its list of what secsock implements
# (tools/gen-forward.awk).

PE_ARCHS = @PE_ARCHS@
PE_TRIPLE_x86_64_windows = x86_64-w64-mingw32
PE_TRIPLE_i386_windows = i686-w64-mingw32
PE_LIBDIR_x86_64_windows = $(WINE_LIBDIR64)
PE_LIBDIR_i386_windows = $(WINE_LIBDIR32)
PE_CFLAGS = -D__WINESRC__ -std=gnu11 -O2 -g -Wall -Wextra -Werror -Wno-unused-parameter \
	-I$(top_srcdir)/include -I$(top_srcdir)/dlls/common
PE_IMPORTS = -lkernel32 -ladvapi32 -lntdll

COMMON_PE_SRCS = $(top_srcdir)/dlls/common/forward.c \
	$(top_srcdir)/libs/secsock/proto.c \
	$(top_srcdir)/libs/secsock/settings.c \
	$(top_srcdir)/libs/secsock/runtime.c \
	$(top_srcdir)/libs/secsock/sha256.c \
	$(top_srcdir)/libs/secsock/auth.c

WS2_32_SRCS = $(patsubst %,dlls/ws2_32/%.c,main sockstate control security_ioctl route connect accept divert \
	extension registry nbio verdict_cache peer_token secured_view)
WS2_32_HDRS = dlls/ws2_32/ws2_32_private.h dlls/ws2_32/sockmap.h dlls/ws2_32/peer_token.h
# main.c: the secure-socket functions; wfp_*.c: the WFP view (wfp_private.h).
FWPUCLNT_SRCS = dlls/fwpuclnt/main.c $(patsubst %,dlls/fwpuclnt/wfp_%.c,engine service memory entry enum filter \
	sa_context ike_sa provider_context)
FWPUCLNT_HDRS = dlls/fwpuclnt/wfp_private.h

EXTRA_DIST += tools/gen-forward.awk dlls/common/forward.h dlls/common/forward.c \
	dlls/ws2_32/ws2_32.exports dlls/fwpuclnt/fwpuclnt.exports \
	$(WS2_32_SRCS) $(WS2_32_HDRS) $(FWPUCLNT_SRCS) $(FWPUCLNT_HDRS)

PE_DLLS = $(foreach a,$(PE_ARCHS),dlls/ws2_32/$(a)/ws2_32.dll dlls/fwpuclnt/$(a)/fwpuclnt.dll)
noinst_DATA += $(PE_DLLS)
# dlls/installed/ mirrors the installed layout ($(pkglibdir)/<arch>/), for
# secsockctl run from the build tree.
CLEANFILES += $(PE_DLLS) dlls/ws2_32/gen/* dlls/fwpuclnt/gen/* dlls/installed/*/*.dll

# tools/pe-exports: a PE DLL's exports as "ordinal name" lines (the reader
# secsockctl install uses to compare a prefix's Wine with this build).
noinst_PROGRAMS = tools/pe-exports
tools_pe_exports_SOURCES = tools/pe-exports.c \
	programs/secsockctl/pe_exports.c programs/secsockctl/pe_exports.h
tools_pe_exports_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/programs/secsockctl

# Generated: $(1) is the DLL's name.  gen/system.exports is the Wine DLL's
# own table (Wine's .spec is shared by its architectures: the x86_64 DLL
# stands for both); a new Wine (another DLL file) regenerates everything.
define pe_gen_rules
dlls/$(1)/gen/system.exports: $(WINE_LIBDIR64)/$(1).dll tools/pe-exports$(EXEEXT)
	@$(MKDIR_P) $$(@D)
	$$(AM_V_GEN)tools/pe-exports$(EXEEXT) $(WINE_LIBDIR64)/$(1).dll > $$@.tmp && mv $$@.tmp $$@
dlls/$(1)/gen/$(1).spec: dlls/$(1)/gen/system.exports $(top_srcdir)/dlls/$(1)/$(1).exports $(top_srcdir)/tools/gen-forward.awk
	$$(AM_V_GEN)$(AWK) -v mode=spec -f $(top_srcdir)/tools/gen-forward.awk dlls/$(1)/gen/system.exports $(top_srcdir)/dlls/$(1)/$(1).exports > $$@.tmp && mv $$@.tmp $$@
dlls/$(1)/gen/forward_thunks.c: dlls/$(1)/gen/system.exports $(top_srcdir)/dlls/$(1)/$(1).exports $(top_srcdir)/tools/gen-forward.awk
	$$(AM_V_GEN)$(AWK) -v mode=thunks -f $(top_srcdir)/tools/gen-forward.awk dlls/$(1)/gen/system.exports $(top_srcdir)/dlls/$(1)/$(1).exports > $$@.tmp && mv $$@.tmp $$@
dlls/$(1)/gen/forward_index.h: dlls/$(1)/gen/system.exports $(top_srcdir)/dlls/$(1)/$(1).exports $(top_srcdir)/tools/gen-forward.awk
	$$(AM_V_GEN)$(AWK) -v mode=header -f $(top_srcdir)/tools/gen-forward.awk dlls/$(1)/gen/system.exports $(top_srcdir)/dlls/$(1)/$(1).exports > $$@.tmp && mv $$@.tmp $$@
endef
$(foreach d,ws2_32 fwpuclnt,$(eval $(call pe_gen_rules,$(d))))

PE_COMMON_DEPS = $(COMMON_PE_SRCS) $(top_srcdir)/dlls/common/forward.h \
	$(top_srcdir)/include/secsock/proto.h $(top_srcdir)/include/secsock/messages.def \
	$(top_srcdir)/include/secsock/settings.h $(top_srcdir)/include/secsock/runtime.h \
	$(top_srcdir)/include/secsock/securesock.h $(top_srcdir)/include/secsock/wsaerr.h \
	$(top_srcdir)/include/secsock/sha256.h $(top_srcdir)/include/secsock/auth.h \
	$(top_srcdir)/include/secsock/wfp.h

# $(1) dll name, $(2) arch, $(3) sources
define pe_dll_rule
dlls/$(1)/$(2)/$(1).dll: dlls/$(1)/gen/$(1).spec dlls/$(1)/gen/forward_thunks.c dlls/$(1)/gen/forward_index.h $(addprefix $(top_srcdir)/,$(3)) $(PE_COMMON_DEPS) $(addprefix $(top_srcdir)/,$(WS2_32_HDRS) $(FWPUCLNT_HDRS))
	@$(MKDIR_P) $$(@D)
	$$(AM_V_GEN)$(WINEGCC) -b $(PE_TRIPLE_$(subst -,_,$(2))) -shared -o $$@ $(PE_CFLAGS) -Idlls/$(1)/gen \
		-Wb,--dll-name,$(1).dll dlls/$(1)/gen/$(1).spec \
		$(addprefix $(top_srcdir)/,$(3)) dlls/$(1)/gen/forward_thunks.c $(COMMON_PE_SRCS) \
		-L$(PE_LIBDIR_$(subst -,_,$(2))) $(PE_IMPORTS) $(4)
	@$(MKDIR_P) dlls/installed/$(2) && cp $$@ dlls/installed/$(2)/
endef
$(foreach a,$(PE_ARCHS),$(eval $(call pe_dll_rule,ws2_32,$(a),$(WS2_32_SRCS),)))
$(foreach a,$(PE_ARCHS),$(eval $(call pe_dll_rule,fwpuclnt,$(a),$(FWPUCLNT_SRCS),-lws2_32)))

# make install: the DLLs where secsockctl looks for them.
install-data-local:
	for a in $(PE_ARCHS); do \
	  $(MKDIR_P) "$(DESTDIR)$(pkglibdir)/$$a" && \
	  $(INSTALL_DATA) dlls/ws2_32/$$a/ws2_32.dll dlls/fwpuclnt/$$a/fwpuclnt.dll "$(DESTDIR)$(pkglibdir)/$$a/" || exit 1; \
	done
uninstall-local:
	for a in $(PE_ARCHS); do rm -f "$(DESTDIR)$(pkglibdir)/$$a/ws2_32.dll" "$(DESTDIR)$(pkglibdir)/$$a/fwpuclnt.dll"; done
