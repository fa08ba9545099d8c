/*
 * The DLL's side of the control channel: find secsockd through the control
 * file, start it on demand, authenticate, and exchange one framed request.
 * Everything here uses Wine's own Winsock (REAL()), never our wrappers.
 */
#include "ws2_32_private.h"
#include <stdio.h>
#include <string.h>
#include "secsock/runtime.h"
#include "secsock/wsaerr.h"
#include "wine/debug.h"

WINE_DEFAULT_DEBUG_CHANNEL(secsock);

#define IO_TIMEOUT_MS      5000
#define START_TIMEOUT_MS   10000

/* Serialises starting the service within this process. */
static CRITICAL_SECTION start_lock;
/* Set once a control connection succeeded in this process. */
static volatile LONG service_answered;
/* The backends the service named in its last HELLO_OK. */
static volatile LONG service_backends;
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

/* The control file's Win32 path, by the rules of include/secsock/runtime.h.
 * Wine keeps HOME out of the Windows environment; WINEHOMEDIR holds the
 * same directory as an NT path. */
static WCHAR *control_file_path(void)
{
    char unix_dir[MAX_PATH], path[MAX_PATH + 32];
    WCHAR home[MAX_PATH], *wpath;
    DWORD n;

    if (get_env("SECSOCK_RUNTIME_DIR", unix_dir, sizeof(unix_dir)))
        snprintf(path, sizeof(path), "%s/" SECSOCK_CONTROL_FILE, unix_dir);
    else if (get_env("XDG_RUNTIME_DIR", unix_dir, sizeof(unix_dir)))
        snprintf(path, sizeof(path), "%s/secsock/" SECSOCK_CONTROL_FILE, unix_dir);
    else if (get_env("HOME", unix_dir, sizeof(unix_dir)))
        snprintf(path, sizeof(path), "%s/.cache/secsock/" SECSOCK_CONTROL_FILE, unix_dir);
    else
    {
        n = GetEnvironmentVariableW(L"WINEHOMEDIR", home, ARRAY_SIZE(home));
        if (!n || n >= ARRAY_SIZE(home) - 32 || wcsncmp(home, L"\\??\\", 4)) return NULL;
        if (!(wpath = HeapAlloc(GetProcessHeap(), 0, (n + 32) * sizeof(WCHAR)))) return NULL;
        swprintf(wpath, n + 32, L"\\\\?\\%s\\.cache\\secsock\\" SECSOCK_CONTROL_FILE_W, home + 4);
        return wpath;
    }
    return dos_path(path);
}

static BOOL read_control_file(struct secsock_control_info *info)
{
    char text[SECSOCK_CONTROL_MAX + 1];
    WCHAR *wpath;
    HANDLE file;
    DWORD got = 0;
    BOOL ok;

    if (!(wpath = control_file_path())) return FALSE;
    TRACE("control file %s\n", debugstr_w(wpath));
    file = CreateFileW(wpath, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                       NULL, OPEN_EXISTING, 0, NULL);
    HeapFree(GetProcessHeap(), 0, wpath);
    if (file == INVALID_HANDLE_VALUE) return FALSE;
    ok = ReadFile(file, text, sizeof(text), &got, NULL);
    CloseHandle(file);
    return ok && got <= SECSOCK_CONTROL_MAX && !secsock_control_parse(text, got, info);
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
    if ((status = secsock_frame_header(hdr, sizeof(hdr), &type, &len)) ||
        !recv_all(s, payload, (int)len) ||
        (status = secsock_msg_decode(type, payload, len, msg)))
    {
        WARN("bad reply from secsockd: %s\n", secsock_proto_strerror(status));
        return WSAENETDOWN;
    }
    return 0;
}

/* The control file's contents, kept after the first read: reading it costs
 * several wineserver round trips per connection.  A refused connection or
 * handshake (the service restarted: new port, new secret) reads it again. */
static struct secsock_control_info cached_info;
static BOOL cached;

static BOOL control_info(struct secsock_control_info *info, BOOL fresh)
{
    BOOL ok = TRUE;

    EnterCriticalSection(&cache_lock);
    if (fresh || !cached)
    {
        SecureZeroMemory(&cached_info, sizeof(cached_info));
        cached = ok = read_control_file(&cached_info);
    }
    if (ok) *info = cached_info;
    LeaveCriticalSection(&cache_lock);
    return ok;
}

/* Connects and authenticates to the service the control file names. */
static SOCKET try_connect_with(const struct secsock_control_info *info)
{
    struct secsock_msg msg, reply;
    struct sockaddr_in sin;
    DWORD timeout = IO_TIMEOUT_MS;
    SOCKET s;

    if ((s = REAL(socket)(AF_INET, SOCK_STREAM, IPPROTO_TCP)) == INVALID_SOCKET) return INVALID_SOCKET;
    SetHandleInformation((HANDLE)s, HANDLE_FLAG_INHERIT, 0);
    REAL(setsockopt)(s, SOL_SOCKET, SO_RCVTIMEO, (const char *)&timeout, sizeof(timeout));
    REAL(setsockopt)(s, SOL_SOCKET, SO_SNDTIMEO, (const char *)&timeout, sizeof(timeout));
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_port = htons(info->port);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (REAL(connect)(s, (struct sockaddr *)&sin, sizeof(sin)))
    {
        REAL(closesocket)(s);
        return INVALID_SOCKET;
    }
    memset(&msg, 0, sizeof(msg));
    msg.type = SECSOCK_MSG_HELLO;
    memcpy(msg.u.hello.secret, info->secret, sizeof(info->secret));
    msg.u.hello.pid = GetCurrentProcessId();
    if (send_msg(s, &msg) || recv_msg(s, &reply) || reply.type != SECSOCK_MSG_HELLO_OK)
    {
        SecureZeroMemory(&msg, sizeof(msg));
        WARN("secsockd refused the handshake\n");
        REAL(closesocket)(s);
        return INVALID_SOCKET;
    }
    SecureZeroMemory(&msg, sizeof(msg));
    InterlockedExchange(&service_backends, (LONG)reply.u.hello_ok.backends);
    return s;
}

static SOCKET try_connect(void)
{
    struct secsock_control_info info;
    SOCKET s = INVALID_SOCKET;

    if (control_info(&info, FALSE)) s = try_connect_with(&info);
    if (s == INVALID_SOCKET && control_info(&info, TRUE)) s = try_connect_with(&info);
    SecureZeroMemory(&info, sizeof(info));
    if (s != INVALID_SOCKET) InterlockedExchange(&service_answered, 1);
    return s;
}

BOOL control_service_answered(void)
{
    return service_answered != 0;
}

uint32_t control_backends(void)
{
    return (uint32_t)service_backends;
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
    if (pi.hThread) CloseHandle(pi.hThread);
    if (pi.hProcess) CloseHandle(pi.hProcess);
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
