/*
 * A layering DLL: every export of the system DLL it replaces is either
 * implemented here or forwarded, through a jump thunk, to the system DLL,
 * which forward_load() loads by its full path.
 */
#ifndef SECSOCK_FORWARD_H
#define SECSOCK_FORWARD_H

#include <windef.h>
#include "forward_index.h"   /* generated from the DLL's export list */

extern const char *const forward_names[FORWARD_COUNT];
extern void *forward_ptrs[FORWARD_COUNT];
extern const unsigned char forward_implemented[FORWARD_COUNT];

/* The system DLL's own function, with the prototype of its declaration. */
#define REAL(name) ((__typeof__(&name))forward_ptrs[FORWARD_INDEX_##name])

#ifdef __x86_64__
#define FORWARD_THUNK(name, idx) \
    __asm__(".text\n\t.globl fwd_" #name "\n\t.def fwd_" #name "; .scl 2; .type 32; .endef\n" \
            "fwd_" #name ":\n\tjmp *(forward_ptrs+8*" #idx ")(%rip)\n");
#elif defined(__i386__)
#define FORWARD_THUNK(name, idx) \
    __asm__(".text\n\t.globl _fwd_" #name "\n\t.def _fwd_" #name "; .scl 2; .type 32; .endef\n" \
            "_fwd_" #name ":\n\tjmp *(_forward_ptrs+4*" #idx ")\n");
#else
#error "layering thunks exist for x86_64 and i386 only"
#endif

/* Loads the system's dll_name (L"ws2_32.dll") from Wine's builtin DLL
 * directory (or system32 when self is not installed there) and fills
 * forward_ptrs.  Returns FALSE, with the reason in the log, when the system
 * DLL cannot be found. */
BOOL forward_load(HMODULE self, const WCHAR *dll_name);

#endif
