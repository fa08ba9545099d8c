/*
 * The anonymous logon token given to secured connections' peers (see
 * peer_token.h).  Two ways to make it, tried in order, each detected at
 * run time:
 *   1. NtImpersonateAnonymousToken on this thread, then OpenThreadToken, then
 *      the thread's own token back (Windows; a Wine whose
 *      NtImpersonateAnonymousToken is real);
 *   2. NtCreateToken with the anonymous logon's user, group and LUID (Wine
 *      9 and later export it; Wine 8 does not).
 * Nothing else is a substitute: a token filtered from the program's own
 * (CreateRestrictedToken) keeps the program's user SID, which Wine's access
 * checks always honour, and Wine's LogonUserW hands back no real token.
 */
#include <stdarg.h>
#include "ntstatus.h"
#define WIN32_NO_STATUS
#include <windef.h>
#include <winbase.h>
#include <winternl.h>
#include "peer_token.h"

typedef NTSTATUS (WINAPI *create_token_fn)(HANDLE *, ACCESS_MASK, OBJECT_ATTRIBUTES *, TOKEN_TYPE, LUID *,
                                           LARGE_INTEGER *, TOKEN_USER *, TOKEN_GROUPS *, TOKEN_PRIVILEGES *,
                                           TOKEN_OWNER *, TOKEN_PRIMARY_GROUP *, TOKEN_DEFAULT_DACL *,
                                           TOKEN_SOURCE *);

/* Way 1: the system's own anonymous token, through this thread. */
static DWORD by_impersonation(ACCESS_MASK access, HANDLE *token)
{
    HANDLE saved = NULL;
    NTSTATUS status;
    DWORD err = 0;

    if (!OpenThreadToken(GetCurrentThread(), TOKEN_IMPERSONATE, TRUE, &saved))
    {
        if (GetLastError() != ERROR_NO_TOKEN) return GetLastError();
        saved = NULL;
    }
    if ((status = NtImpersonateAnonymousToken(GetCurrentThread())))
        err = status == STATUS_NOT_IMPLEMENTED ? ERROR_NOT_SUPPORTED : RtlNtStatusToDosError(status);
    else
    {
        if (!OpenThreadToken(GetCurrentThread(), access, TRUE, token)) err = GetLastError();
        /* The thread goes back to what it was, whatever happened. */
        if (!SetThreadToken(NULL, saved) && !err) err = GetLastError();
        if (err && *token)
        {
            CloseHandle(*token);
            *token = NULL;
        }
    }
    if (saved) CloseHandle(saved);
    return err;
}

/* Way 2: NtCreateToken, where the system has it. */
static DWORD by_creation(ACCESS_MASK access, HANDLE *token)
{
    static const SID anonymous = { SID_REVISION, 1, { SECURITY_NT_AUTHORITY }, { SECURITY_ANONYMOUS_LOGON_RID } };
    static const SID network = { SID_REVISION, 1, { SECURITY_NT_AUTHORITY }, { SECURITY_NETWORK_RID } };
    create_token_fn create = (create_token_fn)(void *)GetProcAddress(GetModuleHandleW(L"ntdll.dll"), "NtCreateToken");
    SECURITY_QUALITY_OF_SERVICE qos = { sizeof(qos), SecurityImpersonation, SECURITY_STATIC_TRACKING, FALSE };
    OBJECT_ATTRIBUTES attr;
    TOKEN_USER user = { { (PSID)&anonymous, 0 } };
    TOKEN_GROUPS groups = { 1, { { (PSID)&network, SE_GROUP_MANDATORY | SE_GROUP_ENABLED | SE_GROUP_ENABLED_BY_DEFAULT } } };
    TOKEN_PRIVILEGES privileges = { 0 };
    TOKEN_OWNER owner = { (PSID)&anonymous };
    TOKEN_PRIMARY_GROUP primary = { (PSID)&network };
    TOKEN_SOURCE source = { "secsock", { 0, 0 } };
    LUID logon = ANONYMOUS_LOGON_LUID;
    LARGE_INTEGER expires;
    HANDLE full = NULL;
    NTSTATUS status;

    if (!create) return ERROR_NOT_SUPPORTED;
    expires.QuadPart = 0x7fffffffffffffffLL;
    InitializeObjectAttributes(&attr, NULL, 0, NULL, NULL);
    attr.SecurityQualityOfService = &qos;
    status = create(&full, TOKEN_ALL_ACCESS, &attr, TokenImpersonation, &logon, &expires, &user, &groups,
                    &privileges, &owner, &primary, NULL, &source);
    if (status) return RtlNtStatusToDosError(status);
    /* The caller's handle has exactly the access it asked for. */
    if (!DuplicateHandle(GetCurrentProcess(), full, GetCurrentProcess(), token, access, FALSE, 0))
    {
        DWORD err = GetLastError();
        CloseHandle(full);
        return err;
    }
    CloseHandle(full);
    return 0;
}

DWORD peer_token_anonymous(ACCESS_MASK access, HANDLE *token)
{
    DWORD err;

    *token = NULL;
    if ((err = by_impersonation(access, token)) != ERROR_NOT_SUPPORTED) return err;
    return by_creation(access, token);
}
