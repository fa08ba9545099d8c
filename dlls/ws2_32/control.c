/*
 * The DLL's side of the control channel: find secsockd through the control
 * file, start it on demand, authenticate mutually with the config
 * directory's secret (secsock/auth.h), and exchange one framed request.
 * Everything here uses Wine's own Winsock (REAL()), never our wrappers.
 */
#include "ws2_32_private.h"
#include <stdio.h>
#include <string.h>
#include <aclapi.h>
#include <ntsecapi.h>
#include "secsock/auth.h"
#include "secsock/runtime.h"
#include "secsock/sha256.h"
#include "secsock/wsaerr.h"
#include "wine/debug.h"

WINE_DEFAULT_DEBUG_CHANNEL(secsock);

#define IO_TIMEOUT_MS      5000
#define START_TIMEOUT_MS   10000

/* Serialises starting the service within this process. */
static CRITICAL_SECTION start_lock;
/* Set once a control connection succeeded in this process. */
static volatile LONG service_answered;
/* What the service's backends need (SECSOCK_NEED_*), from its last HELLO_OK. */
static volatile LONG service_needs;
static CRITICAL_SECTION cache_lock;

void control_init(void)
{
    InitializeCriticalSection(&start_lock);
    InitializeCriticalSection(&cache_lock);
}

/* A Unix path of the environment, as a Win32 path Wine can open. */
static WCHAR *dos_path(const char *unix_path)
{
    static WCHAR * (CDECL *to_dos)(const char *);

    if (!to_dos)
        to_dos = (void *)GetProcAddress(GetModuleHandleW(L"kernel32.dll"), "wine_get_dos_file_name");
    return to_dos ? to_dos(unix_path) : NULL;
}

static BOOL get_env(const char *name, char *buf, DWORD size)
{
    DWORD n = GetEnvironmentVariableA(name, buf, size);
    return n && n < size;
}

/* The Win32 path of one of secsock's directories by the rules of
 * include/secsock/runtime.h: $<var>, else $<xdg>/secsock, else
 * $HOME/<home_rel>; with file appended when it is not NULL.  Wine keeps
 * HOME out of the Windows environment; WINEHOMEDIR holds the same
 * directory as an NT path. */
static WCHAR *secsock_path(const char *var, const char *xdg, const char *home_rel, const char *file)
{
    char unix_dir[MAX_PATH], path[MAX_PATH + 64];
    WCHAR home[MAX_PATH], *wpath, *p;
    const char *c;
    DWORD n;

    if (get_env(var, unix_dir, sizeof(unix_dir)))
        snprintf(path, sizeof(path), "%s%s%s", unix_dir, file ? "/" : "", file ? file : "");
    else if (get_env(xdg, unix_dir, sizeof(unix_dir)))
        snprintf(path, sizeof(path), "%s/secsock%s%s", unix_dir, file ? "/" : "", file ? file : "");
    else if (get_env("HOME", unix_dir, sizeof(unix_dir)))
        snprintf(path, sizeof(path), "%s/%s%s%s", unix_dir, home_rel, file ? "/" : "", file ? file : "");
    else
    {
        n = GetEnvironmentVariableW(L"WINEHOMEDIR", home, ARRAY_SIZE(home));
        if (!n || n >= ARRAY_SIZE(home) - 64 || wcsncmp(home, L"\\??\\", 4)) return NULL;
        if (!(wpath = HeapAlloc(GetProcessHeap(), 0, (n + 64) * sizeof(WCHAR)))) return NULL;
        snprintf(path, sizeof(path), "\\%s%s%s", home_rel, file ? "\\" : "", file ? file : "");
        wcscpy(wpath, L"\\\\?\\");
        wcscat(wpath, home + 4);
        p = wpath + wcslen(wpath);
        for (c = path; *c; c++) *p++ = *c == '/' ? '\\' : (WCHAR)*c;
        *p = 0;
        return wpath;
    }
    return dos_path(path);
}

/* What Wine 8.0 shows a Windows program of a Unix file's owner and mode
 * (measured with GetSecurityInfo / GetFileSecurityW on files of this user
 * and of another uid): the owner SID is the process's own user SID when
 * the file's uid is the wineserver's uid, and S-1-5-7 (Anonymous) for any
 * other uid; the DACL is made from the mode each time: SYSTEM and the
 * owner get full access whatever the owner bits say, the "other" bits
 * become an ACE for Everyone (S-1-1-0), and the group bits appear nowhere
 * (0640 and 0660 read as 0600).  Wine 8.0 keeps no security descriptor of
 * its own for files (SetSecurityInfo changes the mode; no xattr is
 * written), so a program cannot forge what we read here.  Symlinks are
 * followed, and what is shown is the target's (another user's link to a
 * file of ours reads as ours: harmless, the contents are ours).  So
 * "another user owns it" and "world-readable or -writable" are seen and
 * refused; group bits are not (secsockd refuses them with stat()), nor is
 * a directory above that another user could rename.  That gap is why the
 * secret lives in the config directory under the user's home, not with the
 * port: whoever controls a runtime directory can at most name a port, and
 * whoever listens there must prove the secret before we send anything but
 * HELLO. */
static BOOL private_to_us(HANDLE handle, const WCHAR *path)
{
    static const SID_IDENTIFIER_AUTHORITY nt_authority = { SECURITY_NT_AUTHORITY };
    BYTE user_buf[SECURITY_MAX_SID_SIZE + sizeof(TOKEN_USER)];
    PSECURITY_DESCRIPTOR sd = NULL;
    PSID owner = NULL, system_sid = NULL;
    PACL dacl = NULL;
    HANDLE token;
    DWORD len, err;
    BOOL ok = FALSE;

    if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &token)) return FALSE;
    ok = GetTokenInformation(token, TokenUser, user_buf, sizeof(user_buf), &len);
    CloseHandle(token);
    if (!ok) return FALSE;
    ok = FALSE;
    if ((err = GetSecurityInfo(handle, SE_FILE_OBJECT, OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION,
                               &owner, NULL, &dacl, NULL, &sd)))
    {
        WARN("cannot read the owner of %s: error %lu\n", debugstr_w(path), err);
        return FALSE;
    }
    if (!AllocateAndInitializeSid((SID_IDENTIFIER_AUTHORITY *)&nt_authority, 1, SECURITY_LOCAL_SYSTEM_RID,
                                  0, 0, 0, 0, 0, 0, 0, &system_sid))
        goto done;
    if (!owner || !EqualSid(owner, ((TOKEN_USER *)user_buf)->User.Sid))
    {
        ERR("%s belongs to another user: not using it\n", debugstr_w(path));
        goto done;
    }
    if (!dacl)
    {
        ERR("%s is open to everybody (no DACL): not using it\n", debugstr_w(path));
        goto done;
    }
    for (DWORD i = 0; i < dacl->AceCount; i++)
    {
        ACE_HEADER *ace;
        PSID sid;

        if (!GetAce(dacl, i, (void **)&ace)) goto done;
        if (ace->AceType != ACCESS_ALLOWED_ACE_TYPE) continue;
        sid = &((ACCESS_ALLOWED_ACE *)ace)->SidStart;
        if (!EqualSid(sid, owner) && !EqualSid(sid, system_sid))
        {
            ERR("%s is open to other users: not using it\n", debugstr_w(path));
            goto done;
        }
    }
    ok = TRUE;
done:
    if (system_sid) FreeSid(system_sid);
    LocalFree(sd);
    return ok;
}

/* Opens dir\file for reading after checking that both are private to us;
 * the file's checks are made on the handle that is then read. */
static HANDLE open_private(const WCHAR *dir, const WCHAR *file)
{
    HANDLE h;

    h = CreateFileW(dir, READ_CONTROL, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL,
                    OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS, NULL);
    if (h == INVALID_HANDLE_VALUE) return h;
    if (!private_to_us(h, dir))
    {
        CloseHandle(h);
        return INVALID_HANDLE_VALUE;
    }
    CloseHandle(h);
    h = CreateFileW(file, GENERIC_READ | READ_CONTROL, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                    NULL, OPEN_EXISTING, 0, NULL);
    if (h == INVALID_HANDLE_VALUE) return h;
    if (!private_to_us(h, file))
    {
        CloseHandle(h);
        return INVALID_HANDLE_VALUE;
    }
    return h;
}

/* Reads at most cap bytes of a private file of one of our directories. */
static BOOL read_private(const char *var, const char *xdg, const char *home_rel, const char *name,
                         char *text, DWORD cap, DWORD *got)
{
    WCHAR *dir = secsock_path(var, xdg, home_rel, NULL), *file = secsock_path(var, xdg, home_rel, name);
    HANDLE h = INVALID_HANDLE_VALUE;
    BOOL ok = FALSE;

    *got = 0;
    if (dir && file)
    {
        TRACE("reading %s\n", debugstr_w(file));
        h = open_private(dir, file);
    }
    if (h != INVALID_HANDLE_VALUE)
    {
        ok = ReadFile(h, text, cap, got, NULL);
        CloseHandle(h);
    }
    if (dir) HeapFree(GetProcessHeap(), 0, dir);
    if (file) HeapFree(GetProcessHeap(), 0, file);
    return ok;
}

/* Where the service is (control file) and the secret it must prove
 * (config directory). */
struct endpoint {
    struct secsock_control_info info;
    uint8_t secret[SECSOCK_SECRET_LEN];
};

static BOOL read_endpoint(struct endpoint *ep)
{
    char text[SECSOCK_CONTROL_MAX + 1];
    DWORD got;
    BOOL ok;

    if (!read_private("SECSOCK_RUNTIME_DIR", "XDG_RUNTIME_DIR", ".cache/secsock", SECSOCK_CONTROL_FILE, text,
                      sizeof(text), &got))
        return FALSE;
    if (got > SECSOCK_CONTROL_MAX || secsock_control_parse(text, got, &ep->info))
    {
        if (got > 16 && !memcmp(text, "secsock-control ", 16))
            WARN("the control file is of another secsockd version (this DLL speaks control protocol %d)\n",
                 SECSOCK_PROTO_VERSION);
        return FALSE;
    }
    ok = read_private("SECSOCK_CONFIG_DIR", "XDG_CONFIG_HOME", ".config/secsock", SECSOCK_SECRET_FILE, text,
                      sizeof(text), &got) &&
         got <= SECSOCK_SECRET_MAX && !secsock_secret_parse(text, got, ep->secret);
    secsock_wipe(text, sizeof(text));
    if (!ok) WARN("no usable secret in the config directory\n");
    return ok;
}

static BOOL send_all(SOCKET s, const uint8_t *buf, int len)
{
    while (len > 0)
    {
        int n = REAL(send)(s, (const char *)buf, len, 0);
        if (n <= 0) return FALSE;
        buf += n;
        len -= n;
    }
    return TRUE;
}

static BOOL recv_all(SOCKET s, uint8_t *buf, int len)
{
    while (len > 0)
    {
        int n = REAL(recv)(s, (char *)buf, len, 0);
        if (n <= 0) return FALSE;
        buf += n;
        len -= n;
    }
    return TRUE;
}

static int send_msg(SOCKET s, const struct secsock_msg *msg)
{
    uint8_t buf[SECSOCK_HEADER_LEN + SECSOCK_MAX_PAYLOAD];
    int len = secsock_msg_encode(msg, buf, sizeof(buf));

    if (len < 0)
    {
        WARN("cannot encode %s: %s\n", secsock_msg_name(msg->type), secsock_proto_strerror(len));
        return WSAEINVAL;
    }
    return send_all(s, buf, len) ? 0 : WSAENETDOWN;
}

static int recv_msg(SOCKET s, struct secsock_msg *msg)
{
    uint8_t hdr[SECSOCK_HEADER_LEN], payload[SECSOCK_MAX_PAYLOAD];
    uint16_t type;
    uint32_t len;
    int status;

    if (!recv_all(s, hdr, sizeof(hdr))) return WSAENETDOWN;
    if (secsock_frame_header(hdr, sizeof(hdr), &type, &len) == SECSOCK_PROTO_EVERSION)
    {
        ERR("secsockd speaks control protocol version %d, this DLL %d: not using it\n",
            secsock_frame_version(hdr, sizeof(hdr)), SECSOCK_PROTO_VERSION);
        return WSAENETDOWN;
    }
    if ((status = secsock_frame_header(hdr, sizeof(hdr), &type, &len)) ||
        !recv_all(s, payload, (int)len) ||
        (status = secsock_msg_decode(type, payload, len, msg)))
    {
        WARN("bad reply from secsockd: %s\n", secsock_proto_strerror(status));
        return WSAENETDOWN;
    }
    return 0;
}

/* The control file's and the secret file's contents, kept after the first
 * read: reading them costs several wineserver round trips per connection.
 * A refused connection or handshake (the service restarted: new port)
 * reads them again. */
static struct endpoint cached_ep;
static BOOL cached;

static BOOL control_info(struct endpoint *ep, BOOL fresh)
{
    BOOL ok = TRUE;

    EnterCriticalSection(&cache_lock);
    if (fresh || !cached)
    {
        SecureZeroMemory(&cached_ep, sizeof(cached_ep));
        cached = ok = read_endpoint(&cached_ep);
    }
    if (ok) *ep = cached_ep;
    LeaveCriticalSection(&cache_lock);
    return ok;
}

/* The handshake of secsock/auth.h: nothing but HELLO is sent before the
 * service proved the secret, so a fake service on the port learns
 * nothing but a nonce and our pid. */
static BOOL authenticate(SOCKET s, const struct endpoint *ep)
{
    uint8_t client_nonce[SECSOCK_NONCE_LEN], expected[SECSOCK_PROOF_LEN];
    struct secsock_msg msg, reply;
    BOOL good;

    if (!RtlGenRandom(client_nonce, sizeof(client_nonce)))
    {
        ERR("no random nonce: error %lu\n", GetLastError());
        return FALSE;
    }
    memset(&msg, 0, sizeof(msg));
    msg.type = SECSOCK_MSG_HELLO;
    memcpy(msg.u.hello.client_nonce, client_nonce, sizeof(client_nonce));
    msg.u.hello.pid = GetCurrentProcessId();
    msg.u.hello.proto_version = SECSOCK_PROTO_VERSION;
    if (send_msg(s, &msg) || recv_msg(s, &reply)) return FALSE;
    if (reply.type == SECSOCK_MSG_ERROR)
    {
        WARN("secsockd refused HELLO: %s\n", debugstr_a(reply.u.error.reason));
        return FALSE;
    }
    if (reply.type != SECSOCK_MSG_CHALLENGE)
    {
        ERR("the service on port %u answered HELLO with %s: not using it\n", ep->info.port,
            secsock_msg_name(reply.type));
        return FALSE;
    }
    secsock_auth_service_proof(ep->secret, client_nonce, reply.u.challenge.server_nonce, expected);
    good = secsock_equal_ct(expected, reply.u.challenge.service_proof, sizeof(expected));
    SecureZeroMemory(expected, sizeof(expected));
    if (!good)
    {
        ERR("the service on port %u did not prove it knows the secret: not using it\n", ep->info.port);
        return FALSE;
    }
    memset(&msg, 0, sizeof(msg));
    msg.type = SECSOCK_MSG_PROOF;
    secsock_auth_client_proof(ep->secret, client_nonce, reply.u.challenge.server_nonce, msg.u.proof.client_proof);
    if (send_msg(s, &msg) || recv_msg(s, &reply)) return FALSE;
    if (reply.type != SECSOCK_MSG_HELLO_OK)
    {
        WARN("secsockd refused the proof (%s)\n",
             reply.type == SECSOCK_MSG_ERROR ? debugstr_a(reply.u.error.reason) : secsock_msg_name(reply.type));
        return FALSE;
    }
    InterlockedExchange(&service_needs, (LONG)reply.u.hello_ok.needs);
    return TRUE;
}

/* Connects and authenticates to the service the control file names. */
static SOCKET try_connect_with(const struct endpoint *ep)
{
    SOCKADDR_STORAGE sin;
    DWORD timeout = IO_TIMEOUT_MS;
    SOCKET s;
    int len;

    if ((s = REAL(socket)(AF_INET, SOCK_STREAM, IPPROTO_TCP)) == INVALID_SOCKET) return INVALID_SOCKET;
    SetHandleInformation((HANDLE)s, HANDLE_FLAG_INHERIT, 0);
    REAL(setsockopt)(s, SOL_SOCKET, SO_RCVTIMEO, (const char *)&timeout, sizeof(timeout));
    REAL(setsockopt)(s, SOL_SOCKET, SO_SNDTIMEO, (const char *)&timeout, sizeof(timeout));
    len = loopback_sockaddr(AF_INET, ep->info.port, &sin);
    if (REAL(connect)(s, (struct sockaddr *)&sin, len))
    {
        REAL(closesocket)(s);
        return INVALID_SOCKET;
    }
    if (!authenticate(s, ep))
    {
        REAL(closesocket)(s);
        return INVALID_SOCKET;
    }
    return s;
}

static SOCKET try_connect(void)
{
    struct endpoint ep;
    SOCKET s = INVALID_SOCKET;

    if (control_info(&ep, FALSE)) s = try_connect_with(&ep);
    if (s == INVALID_SOCKET && control_info(&ep, TRUE)) s = try_connect_with(&ep);
    SecureZeroMemory(&ep, sizeof(ep));
    if (s != INVALID_SOCKET) InterlockedExchange(&service_answered, 1);
    return s;
}

BOOL control_service_answered(void)
{
    return service_answered != 0;
}

uint32_t control_needs(void)
{
    return (uint32_t)service_needs;
}

/* The Unix path of secsockd: $SECSOCKD, else what secsockctl install wrote. */
static BOOL service_path(char *buf, DWORD size)
{
    HKEY key;
    DWORD type, len = size - 1;
    LONG ret;

    if (get_env("SECSOCKD", buf, size)) return TRUE;
    if (RegOpenKeyExA(HKEY_CURRENT_USER, "Software\\secsock", 0, KEY_QUERY_VALUE, &key)) return FALSE;
    ret = RegQueryValueExA(key, "ServicePath", NULL, &type, (BYTE *)buf, &len);
    RegCloseKey(key);
    if (ret || type != REG_SZ || !len) return FALSE;
    buf[len] = 0;
    return TRUE;
}

static BOOL start_service(void)
{
    STARTUPINFOW si;
    PROCESS_INFORMATION pi;
    char unix_path[MAX_PATH];
    WCHAR *path, cmdline[MAX_PATH + 32];

    memset(&si, 0, sizeof(si));
    memset(&pi, 0, sizeof(pi));
    si.cb = sizeof(si);
    if (!service_path(unix_path, sizeof(unix_path)))
    {
        ERR("secsockd is not running and its path is unknown: run `secsockctl install`\n");
        return FALSE;
    }
    if (!(path = dos_path(unix_path)))
    {
        ERR("cannot name %s as a Windows path\n", debugstr_a(unix_path));
        return FALSE;
    }
    swprintf(cmdline, ARRAY_SIZE(cmdline), L"\"%s\" --daemon", path);
    TRACE("starting %s\n", debugstr_w(cmdline));
    /* Wine runs a Unix executable as a native process. */
    if (!CreateProcessW(path, cmdline, NULL, NULL, FALSE, 0, NULL, NULL, &si, &pi))
    {
        ERR("cannot start secsockd %s: error %lu\n", debugstr_a(unix_path), GetLastError());
        HeapFree(GetProcessHeap(), 0, path);
        return FALSE;
    }
    HeapFree(GetProcessHeap(), 0, path);
    /* For a Unix program, 32-bit Wine 8 hands back no process handle and a
     * "thread handle" that is no thread: it can be the value of one of the
     * program's own handles (measured: the very socket being secured), so
     * only what really is a thread or process is closed. */
    if (pi.hThread && GetThreadId(pi.hThread)) CloseHandle(pi.hThread);
    if (pi.hProcess && GetProcessId(pi.hProcess)) CloseHandle(pi.hProcess);
    return TRUE;
}

SOCKET control_open(int *err)
{
    SOCKET s;
    DWORD start;

    if ((s = try_connect()) != INVALID_SOCKET) return s;
    EnterCriticalSection(&start_lock);
    /* Another thread may have started it meanwhile. */
    if ((s = try_connect()) == INVALID_SOCKET && start_service())
    {
        start = GetTickCount();
        while ((s = try_connect()) == INVALID_SOCKET && GetTickCount() - start < START_TIMEOUT_MS)
            Sleep(20);
        if (s == INVALID_SOCKET) ERR("secsockd did not come up within %u ms\n", START_TIMEOUT_MS);
    }
    LeaveCriticalSection(&start_lock);
    if (s == INVALID_SOCKET) *err = WSAENETDOWN;
    return s;
}

int control_call(SOCKET conn, const struct secsock_msg *req, struct secsock_msg *reply)
{
    int err;

    if ((err = send_msg(conn, req)) || (err = recv_msg(conn, reply))) return err;
    if (reply->type == SECSOCK_MSG_ERROR)
    {
        WARN("secsockd: %s (%u)\n", debugstr_a(reply->u.error.reason), reply->u.error.wsa_error);
        return reply->u.error.wsa_error ? (int)reply->u.error.wsa_error : WSAEINVAL;
    }
    return 0;
}

int control_wait_message(SOCKET conn, struct secsock_msg *msg, DWORD timeout_ms)
{
    struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
    fd_set readable;
    int n;

    FD_ZERO(&readable);
    FD_SET(conn, &readable);
    n = REAL(select)(0, &readable, NULL, NULL, &tv);
    if (n < 0) return WSAGetLastError();
    if (!n) return WSAETIMEDOUT;
    return recv_msg(conn, msg);
}

void control_close(SOCKET conn)
{
    if (conn != INVALID_SOCKET) REAL(closesocket)(conn);
}
