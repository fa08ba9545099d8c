# secdemo: the Windows program tools/demo runs under Wine (mingw-w64's own
# headers and import libraries, like any Windows program).
SECDEMO = programs/secdemo/secdemo.exe
# The same program for i686, for the tests that attack 32-bit programs.
SECDEMO32 = programs/secdemo/secdemo32.exe
noinst_DATA += $(SECDEMO) $(SECDEMO32)
CLEANFILES += $(SECDEMO) $(SECDEMO32)
EXTRA_DIST += programs/secdemo/secdemo.c
$(eval $(call mingw_program,$(SECDEMO),programs/secdemo/secdemo.c,MINGW64_CC))
$(eval $(call mingw_program,$(SECDEMO32),programs/secdemo/secdemo.c,MINGW32_CC))
