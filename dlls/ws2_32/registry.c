/*
 * Secured sockets by identity, for every process of the prefix.  A
 * program can copy a socket (DuplicateHandle, WSADuplicateSocket and
 * WSASocket(FROM_PROTOCOL_INFO), handle inheritance) into a process whose
 * table has never seen it; the settings belong to the socket, not to one
 * handle value.  So each secured socket is recorded under its identity
 * (the Unix socket's inode, see socket_identity) in a file of the prefix,
 * and a socket this process does not know is looked up there before it
 * may connect, bind, listen, accept or send to a new peer.
 *
 * A shared page counts the records ever made in this prefix: while it is
 * zero (no program of the prefix has secured a socket) nothing is looked
 * up.  Sockets found unsecured are remembered by identity; an inode is
 * not reused while the kernel's counter does not wrap, and a socket
 * cannot be secured once it is bound, which every call that looks it up
 * does to it.
 */
#include "ws2_32_private.h"
#include <stdio.h>
#include <string.h>
#include "wine/debug.h"

WINE_DEFAULT_DEBUG_CHANNEL(secsock);

#define RECORD_MAGIC 0x47525353u   /* "SSRG" */
#define UNSECURED_SLOTS 1024

struct record {
    uint32_t magic;
    uint32_t size;                 /* sizeof(struct record): refuses another build's layout */
    struct secsock_registered body;
};

static volatile LONG *generation;   /* in the shared page */
static CRITICAL_SECTION registry_lock;
/* Identities found unsecured, and the generation they were found at. */
static struct { uint64_t id; LONG generation; } unsecured[UNSECURED_SLOTS];

static BOOL record_path(uint64_t id, WCHAR *path, DWORD size, BOOL create_dirs);

/* The first process of a prefix's session: no socket from before can still
 * exist (a socket does not outlive Wine's server), so every record is stale. */
static void forget_all(void)
{
    WCHAR pattern[MAX_PATH + 64], path[MAX_PATH + 64], *tail;
    WIN32_FIND_DATAW found;
    HANDLE find;

    if (!record_path(0, pattern, ARRAY_SIZE(pattern), FALSE) || !(tail = wcsrchr(pattern, '\\'))) return;
    wcscpy(tail + 1, L"*");
    if ((find = FindFirstFileW(pattern, &found)) == INVALID_HANDLE_VALUE) return;
    do
    {
        if (found.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) continue;
        wcscpy(path, pattern);
        wcscpy(wcsrchr(path, '\\') + 1, found.cFileName);
        DeleteFileW(path);
    } while (FindNextFileW(find, &found));
    FindClose(find);
}

void registry_init(void)
{
    HANDLE section;

    InitializeCriticalSection(&registry_lock);
    section = CreateFileMappingW(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, 4096, L"Local\\secsock-registry");
    if (section && GetLastError() != ERROR_ALREADY_EXISTS) forget_all();
    /* The handle stays open for the life of the process: Wine drops a
     * section's name with its last handle, whatever views remain. */
    if (section) generation = MapViewOfFile(section, FILE_MAP_WRITE, 0, 0, 4096);
    if (!generation) ERR("no shared registry page (%lu): copies of secured sockets cannot be recognised\n",
                         GetLastError());
}

BOOL registry_active(void)
{
    /* Without the page, look up every time: never miss a secured copy. */
    return !generation || *generation;
}

static BOOL record_path(uint64_t id, WCHAR *path, DWORD size, BOOL create_dirs)
{
    WCHAR base[MAX_PATH];
    DWORD n = GetEnvironmentVariableW(L"LOCALAPPDATA", base, ARRAY_SIZE(base));

    if (!n || n >= ARRAY_SIZE(base) - 64) return FALSE;
    if (create_dirs)
    {
        swprintf(path, size, L"%s\\secsock", base);
        CreateDirectoryW(path, NULL);
        swprintf(path, size, L"%s\\secsock\\sockets", base);
        CreateDirectoryW(path, NULL);
    }
    swprintf(path, size, L"%s\\secsock\\sockets\\%016I64x", base, id);
    return TRUE;
}

int registry_put(uint64_t id, const struct secsock_registered *body)
{
    struct record rec;
    WCHAR path[MAX_PATH + 64];
    HANDLE file;
    DWORD written = 0;
    BOOL ok;

    if (!record_path(id, path, ARRAY_SIZE(path), TRUE)) return WSAENOBUFS;
    memset(&rec, 0, sizeof(rec));
    rec.magic = RECORD_MAGIC;
    rec.size = sizeof(rec);
    rec.body = *body;
    file = CreateFileW(path, GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_DELETE, NULL, CREATE_ALWAYS, 0, NULL);
    if (file == INVALID_HANDLE_VALUE)
    {
        ERR("cannot record a secured socket in %s (%lu)\n", debugstr_w(path), GetLastError());
        return WSAENOBUFS;
    }
    ok = WriteFile(file, &rec, sizeof(rec), &written, NULL) && written == sizeof(rec);
    CloseHandle(file);
    if (!ok)
    {
        DeleteFileW(path);
        return WSAENOBUFS;
    }
    if (generation) InterlockedIncrement(generation);
    return 0;
}

/* TRUE with *body when id was recorded; a record that cannot be read is
 * taken as secured with nothing allowed (fail closed). */
static BOOL registry_get(uint64_t id, struct secsock_registered *body)
{
    struct record rec;
    WCHAR path[MAX_PATH + 64];
    HANDLE file;
    DWORD got = 0;

    if (!record_path(id, path, ARRAY_SIZE(path), FALSE)) return FALSE;
    file = CreateFileW(path, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL,
                       OPEN_EXISTING, 0, NULL);
    if (file == INVALID_HANDLE_VALUE) return FALSE;
    if (!ReadFile(file, &rec, sizeof(rec), &got, NULL) || got != sizeof(rec) || rec.magic != RECORD_MAGIC ||
        rec.size != sizeof(rec))
    {
        WARN("socket %016I64x: unreadable record: taken as secured, guarantee encryption\n", id);
        memset(body, 0, sizeof(*body));
        body->settings.flags = SECSOCK_FLAG_GUARANTEE_ENCRYPTION;
    }
    else *body = rec.body;
    CloseHandle(file);
    return TRUE;
}

void registry_forget(uint64_t id)
{
    WCHAR path[MAX_PATH + 64];

    if (record_path(id, path, ARRAY_SIZE(path), FALSE)) DeleteFileW(path);
}

BOOL registry_lookup(SOCKET s, struct secsock_registered *body, uint64_t *id_out)
{
    LONG now = generation ? *generation : -1;
    unsigned int slot;
    uint64_t id;
    BOOL found;

    if (socket_identity(s, &id)) return FALSE;
    *id_out = id;
    slot = (unsigned int)(id % UNSECURED_SLOTS);
    EnterCriticalSection(&registry_lock);
    found = unsecured[slot].id == id && unsecured[slot].generation == now;
    LeaveCriticalSection(&registry_lock);
    if (found) return FALSE;
    TRACE("socket %#Ix: identity %016I64x, generation %ld\n", s, id, now);
    if (registry_get(id, body))
    {
        TRACE("socket %#Ix is a copy of secured socket %016I64x\n", s, id);
        return TRUE;
    }
    EnterCriticalSection(&registry_lock);
    unsecured[slot].id = id;
    unsecured[slot].generation = now;
    LeaveCriticalSection(&registry_lock);
    return FALSE;
}
