/* Finding and binding the system DLL behind a layering DLL. */
#include <stdarg.h>
#include <windef.h>
#include <winbase.h>
#include <winternl.h>
#include "wine/debug.h"
#include "forward.h"

WINE_DEFAULT_DEBUG_CHANNEL(secsock);

#ifdef __x86_64__
#define ARCH_DIR L"x86_64-windows"
#else
#define ARCH_DIR L"i386-windows"
#endif

/* What a forwarded export calls when this Wine's DLL lacks it: the same
 * exception Wine raises for a function it does not implement. */
static void WINAPI missing_export(void)
{
    RaiseException(0x80000100 /* EXCEPTION_WINE_STUB */, EXCEPTION_NONCONTINUABLE, 0, NULL);
}

static HMODULE try_load(HMODULE self, const WCHAR *path)
{
    HMODULE mod;

    if (GetFileAttributesW(path) == INVALID_FILE_ATTRIBUTES) return NULL;
    mod = LoadLibraryExW(path, NULL, 0);
    if (mod == self)
    {
        /* The path named ourselves (installed prefix-wide): not the system DLL. */
        FreeLibrary(mod);
        return NULL;
    }
    TRACE("system DLL %s -> %p\n", debugstr_w(path), mod);
    return mod;
}

/* WINEDLLDIRn holds NT paths ("\??\Z:\usr\lib\...\wine"): as Win32 paths
 * they are "\\?\Z:\...".  Builtin PE DLLs live in its <arch>-windows folder. */
static HMODULE load_from_wine_dirs(HMODULE self, const WCHAR *dll_name)
{
    WCHAR var[16], dir[MAX_PATH], path[MAX_PATH + 64];
    HMODULE mod;

    for (int i = 0; i < 16; i++)
    {
        DWORD n;
        swprintf(var, ARRAY_SIZE(var), L"WINEDLLDIR%d", i);
        n = GetEnvironmentVariableW(var, dir, ARRAY_SIZE(dir));
        if (!n || n >= ARRAY_SIZE(dir)) continue;
        if (!wcsncmp(dir, L"\\??\\", 4)) dir[1] = '\\';
        swprintf(path, ARRAY_SIZE(path), L"%s\\%s\\%s", dir, ARCH_DIR, dll_name);
        if ((mod = try_load(self, path))) return mod;
        swprintf(path, ARRAY_SIZE(path), L"%s\\%s", dir, dll_name);
        if ((mod = try_load(self, path))) return mod;
    }
    return NULL;
}

BOOL forward_load(HMODULE self, const WCHAR *dll_name)
{
    WCHAR path[MAX_PATH + 64];
    HMODULE mod;
    UINT n;

    if (!(mod = load_from_wine_dirs(self, dll_name)))
    {
        /* Installed next to a program: system32 still holds Wine's own. */
        n = GetSystemDirectoryW(path, MAX_PATH);
        if (n && n < MAX_PATH)
        {
            swprintf(path + n, ARRAY_SIZE(path) - n, L"\\%s", dll_name);
            mod = try_load(self, path);
        }
    }
    if (!mod)
    {
        ERR("cannot find the system %s (no WINEDLLDIRn folder holds it)\n", debugstr_w(dll_name));
        return FALSE;
    }
    for (int i = 0; i < FORWARD_COUNT; i++)
    {
        if (!(forward_ptrs[i] = (void *)GetProcAddress(mod, forward_names[i])))
        {
            /* Ours work without it (they check REAL() before calling it). */
            if (forward_implemented[i]) continue;
            WARN("the system %s has no %s\n", debugstr_w(dll_name), forward_names[i]);
            forward_ptrs[i] = (void *)missing_export;
        }
    }
    return TRUE;
}
