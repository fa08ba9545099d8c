/*
 * Winsock Secure Socket Extensions: the declarations that Wine's and
 * mingw-w64's headers lack.  Values and layouts are Microsoft's documented
 * ones (mstcpip.h / ws2tcpip.h of the Windows SDK).
 *
 * Include after <winsock2.h>, <mstcpip.h> and <ws2tcpip.h>.  Works on top of
 * Wine's headers (which have none of this) and of mingw-w64's (which have the
 * base types but not the SIO codes, the IPSEC2 structs, the extra flags nor
 * the WSADeleteSocketPeerTargetName prototype).
 */
#ifndef SECSOCK_SECURESOCK_H
#define SECSOCK_SECURESOCK_H

#include <stddef.h>

#ifdef __WINE_MSTCPIP_H
/* Wine's mstcpip.h: no secure-socket type at all. */
typedef enum _SOCKET_SECURITY_PROTOCOL {
    SOCKET_SECURITY_PROTOCOL_DEFAULT,
    SOCKET_SECURITY_PROTOCOL_IPSEC,
    SOCKET_SECURITY_PROTOCOL_IPSEC2,
    SOCKET_SECURITY_PROTOCOL_INVALID
} SOCKET_SECURITY_PROTOCOL;

#define SOCKET_SETTINGS_GUARANTEE_ENCRYPTION  0x1
#define SOCKET_SETTINGS_ALLOW_INSECURE        0x2
#define SOCKET_SETTINGS_IPSEC_SKIP_FILTER_INSTANTIATION 0x1
#define SOCKET_INFO_CONNECTION_SECURED        0x1
#define SOCKET_INFO_CONNECTION_ENCRYPTED      0x2
#define SOCKET_INFO_CONNECTION_IMPERSONATED   0x4

typedef enum _SOCKET_USAGE_TYPE {
    SYSTEM_CRITICAL_SOCKET = 1
} SOCKET_USAGE_TYPE;

typedef struct _SOCKET_SECURITY_SETTINGS {
    SOCKET_SECURITY_PROTOCOL SecurityProtocol;
    ULONG SecurityFlags;
} SOCKET_SECURITY_SETTINGS;

typedef struct _SOCKET_SECURITY_SETTINGS_IPSEC {
    SOCKET_SECURITY_PROTOCOL SecurityProtocol;
    ULONG SecurityFlags;
    ULONG IpsecFlags;
    GUID AuthipMMPolicyKey;
    GUID AuthipQMPolicyKey;
    GUID Reserved;
    UINT64 Reserved2;
    ULONG UserNameStringLen;
    ULONG DomainNameStringLen;
    ULONG PasswordStringLen;
    WCHAR AllStrings[];
} SOCKET_SECURITY_SETTINGS_IPSEC;

typedef struct _SOCKET_PEER_TARGET_NAME {
    SOCKET_SECURITY_PROTOCOL SecurityProtocol;
    SOCKADDR_STORAGE PeerAddress;
    ULONG PeerTargetNameStringLen;
    WCHAR AllStrings[];
} SOCKET_PEER_TARGET_NAME;

typedef struct _SOCKET_SECURITY_QUERY_TEMPLATE {
    SOCKET_SECURITY_PROTOCOL SecurityProtocol;
    SOCKADDR_STORAGE PeerAddress;
    ULONG PeerTokenAccessMask;
} SOCKET_SECURITY_QUERY_TEMPLATE;

typedef struct _SOCKET_SECURITY_QUERY_INFO {
    SOCKET_SECURITY_PROTOCOL SecurityProtocol;
    ULONG Flags;
    UINT64 PeerApplicationAccessTokenHandle;
    UINT64 PeerMachineAccessTokenHandle;
} SOCKET_SECURITY_QUERY_INFO;
#endif /* __WINE_MSTCPIP_H */

#ifndef _SECURE_SOCKET_TYPES_DEFINED_
#define _SECURE_SOCKET_TYPES_DEFINED_
#endif

/* Win7 additions, absent from both Wine's and mingw-w64's headers. */
#ifndef SOCKET_SETTINGS_IPSEC_OPTIONAL_PEER_NAME_VERIFICATION
#define SOCKET_SETTINGS_IPSEC_OPTIONAL_PEER_NAME_VERIFICATION 0x2
#define SOCKET_SETTINGS_IPSEC_ALLOW_FIRST_INBOUND_PKT_UNENCRYPTED 0x4
#define SOCKET_SETTINGS_IPSEC_PEER_NAME_IS_RAW_FORMAT 0x8
#endif

#ifndef SOCKET_QUERY_IPSEC2_ABORT_CONNECTION_ON_FIELD_CHANGE
#define SOCKET_QUERY_IPSEC2_ABORT_CONNECTION_ON_FIELD_CHANGE 0x1
#define SOCKET_QUERY_IPSEC2_FIELD_MASK_MM_SA_ID 0x1
#define SOCKET_QUERY_IPSEC2_FIELD_MASK_QM_SA_ID 0x2

typedef struct _SOCKET_SECURITY_QUERY_TEMPLATE_IPSEC2 {
    SOCKET_SECURITY_PROTOCOL SecurityProtocol;
    SOCKADDR_STORAGE PeerAddress;
    ULONG PeerTokenAccessMask;
    ULONG Flags;
    ULONG FieldMask;
} SOCKET_SECURITY_QUERY_TEMPLATE_IPSEC2;

typedef struct _SOCKET_SECURITY_QUERY_INFO_IPSEC2 {
    SOCKET_SECURITY_PROTOCOL SecurityProtocol;
    ULONG Flags;
    UINT64 PeerApplicationAccessTokenHandle;
    UINT64 PeerMachineAccessTokenHandle;
    UINT64 MmSaId;
    UINT64 QmSaId;
    UINT32 NegotiationWinerr;
    GUID SaLookupContext;
} SOCKET_SECURITY_QUERY_INFO_IPSEC2;
#endif

/* SIO codes: _WSAIOW/_WSAIORW(IOC_VENDOR, n), written out so that the
 * values do not depend on which header defined the macros. */
#ifndef SIO_SET_SECURITY
#define SIO_SET_SECURITY                          0x980000C8
#define SIO_QUERY_SECURITY                        0xD80000C9
#define SIO_SET_PEER_TARGET_NAME                  0x980000CA
#define SIO_DELETE_PEER_TARGET_NAME               0x980000CB
#endif
#ifndef SIO_SOCKET_USAGE_NOTIFICATION
#define SIO_SOCKET_USAGE_NOTIFICATION             0x980000CC
#endif
#ifndef SIO_QUERY_WFP_ALE_ENDPOINT_HANDLE
#define SIO_QUERY_WFP_ALE_ENDPOINT_HANDLE         0x580000CD
#endif
#ifndef SIO_QUERY_RSS_SCALABILITY_INFO
#define SIO_QUERY_RSS_SCALABILITY_INFO            0x580000D2
#endif
#ifndef SIO_QUERY_WFP_CONNECTION_REDIRECT_RECORDS
#define SIO_QUERY_WFP_CONNECTION_REDIRECT_RECORDS 0x980000DC
#define SIO_QUERY_WFP_CONNECTION_REDIRECT_CONTEXT 0x980000DD
#define SIO_SET_WFP_CONNECTION_REDIRECT_RECORDS   0x980000DE
#endif

/* secsock's own, not Windows': one connection of the WFP view, answered
 * by asking secsockd (SECURED_QUERY).  Input: struct
 * secsock_msg_secured_query, output: struct secsock_msg_secured_entry
 * (secsock/proto.h; id 0: none left).  Any socket of this process may
 * carry it; fwpuclnt asks through it so that it never speaks the control
 * protocol itself.  _WSAIORW(IOC_VENDOR, 0x5ec0). */
#define SIO_SECSOCK_SECURED_CONNECTION            0xD8005EC0

#ifndef SO_EXCLUSIVEADDRUSE
#define SO_EXCLUSIVEADDRUSE ((int)(~SO_REUSEADDR))
#endif

/* The six functions (fwpuclnt.dll).  mingw-w64 declares five of them
 * (not WSADeleteSocketPeerTargetName); Wine none. */
#ifdef __cplusplus
extern "C" {
#endif
#ifdef __WINE_MSTCPIP_H
INT WINAPI WSASetSocketSecurity(SOCKET Socket, const SOCKET_SECURITY_SETTINGS *SecuritySettings,
        ULONG SecuritySettingsLen, LPWSAOVERLAPPED Overlapped,
        LPWSAOVERLAPPED_COMPLETION_ROUTINE CompletionRoutine);
INT WINAPI WSAQuerySocketSecurity(SOCKET Socket, const SOCKET_SECURITY_QUERY_TEMPLATE *SecurityQueryTemplate,
        ULONG SecurityQueryTemplateLen, SOCKET_SECURITY_QUERY_INFO *SecurityQueryInfo,
        ULONG *SecurityQueryInfoLen, LPWSAOVERLAPPED Overlapped,
        LPWSAOVERLAPPED_COMPLETION_ROUTINE CompletionRoutine);
INT WINAPI WSASetSocketPeerTargetName(SOCKET Socket, const SOCKET_PEER_TARGET_NAME *PeerTargetName,
        ULONG PeerTargetNameLen, LPWSAOVERLAPPED Overlapped,
        LPWSAOVERLAPPED_COMPLETION_ROUTINE CompletionRoutine);
INT WINAPI WSAImpersonateSocketPeer(SOCKET Socket, const struct sockaddr *PeerAddr, ULONG PeerAddrLen);
INT WINAPI WSARevertImpersonation(void);
INT WINAPI WSADeleteSocketPeerTargetName(SOCKET Socket, const struct sockaddr *PeerAddr,
        ULONG PeerAddrLen, LPWSAOVERLAPPED Overlapped,
        LPWSAOVERLAPPED_COMPLETION_ROUTINE CompletionRoutine);
#else
WINSOCK_API_LINKAGE INT WSAAPI WSADeleteSocketPeerTargetName(SOCKET Socket, const struct sockaddr *PeerAddr,
        ULONG PeerAddrLen, LPWSAOVERLAPPED Overlapped,
        LPWSAOVERLAPPED_COMPLETION_ROUTINE CompletionRoutine);
#endif
#ifdef __cplusplus
}
#endif

/* Documented sizes and offsets (identical on x86 and x64). */
#define SECSOCK_ASSERT_LAYOUT(expr, what) _Static_assert(expr, what)
SECSOCK_ASSERT_LAYOUT(sizeof(SOCKET_SECURITY_SETTINGS) == 8, "SOCKET_SECURITY_SETTINGS size");
SECSOCK_ASSERT_LAYOUT(sizeof(SOCKET_SECURITY_SETTINGS_IPSEC) == 88, "SOCKET_SECURITY_SETTINGS_IPSEC size");
SECSOCK_ASSERT_LAYOUT(offsetof(SOCKET_SECURITY_SETTINGS_IPSEC, AuthipMMPolicyKey) == 12, "AuthipMMPolicyKey");
SECSOCK_ASSERT_LAYOUT(offsetof(SOCKET_SECURITY_SETTINGS_IPSEC, Reserved2) == 64, "Reserved2");
SECSOCK_ASSERT_LAYOUT(offsetof(SOCKET_SECURITY_SETTINGS_IPSEC, UserNameStringLen) == 72, "UserNameStringLen");
SECSOCK_ASSERT_LAYOUT(offsetof(SOCKET_SECURITY_SETTINGS_IPSEC, AllStrings) == 84, "IPSEC AllStrings");
SECSOCK_ASSERT_LAYOUT(sizeof(SOCKET_PEER_TARGET_NAME) == 144, "SOCKET_PEER_TARGET_NAME size");
SECSOCK_ASSERT_LAYOUT(offsetof(SOCKET_PEER_TARGET_NAME, PeerAddress) == 8, "PTN PeerAddress");
SECSOCK_ASSERT_LAYOUT(offsetof(SOCKET_PEER_TARGET_NAME, PeerTargetNameStringLen) == 136, "PTN StringLen");
SECSOCK_ASSERT_LAYOUT(offsetof(SOCKET_PEER_TARGET_NAME, AllStrings) == 140, "PTN AllStrings");
SECSOCK_ASSERT_LAYOUT(sizeof(SOCKET_SECURITY_QUERY_TEMPLATE) == 144, "QUERY_TEMPLATE size");
SECSOCK_ASSERT_LAYOUT(offsetof(SOCKET_SECURITY_QUERY_TEMPLATE, PeerTokenAccessMask) == 136, "PeerTokenAccessMask");
SECSOCK_ASSERT_LAYOUT(sizeof(SOCKET_SECURITY_QUERY_TEMPLATE_IPSEC2) == 152, "QUERY_TEMPLATE_IPSEC2 size");
SECSOCK_ASSERT_LAYOUT(offsetof(SOCKET_SECURITY_QUERY_TEMPLATE_IPSEC2, FieldMask) == 144, "FieldMask");
SECSOCK_ASSERT_LAYOUT(sizeof(SOCKET_SECURITY_QUERY_INFO) == 24, "QUERY_INFO size");
SECSOCK_ASSERT_LAYOUT(offsetof(SOCKET_SECURITY_QUERY_INFO, PeerMachineAccessTokenHandle) == 16, "PeerMachineAccessTokenHandle");
SECSOCK_ASSERT_LAYOUT(sizeof(SOCKET_SECURITY_QUERY_INFO_IPSEC2) == 64, "QUERY_INFO_IPSEC2 size");
SECSOCK_ASSERT_LAYOUT(offsetof(SOCKET_SECURITY_QUERY_INFO_IPSEC2, NegotiationWinerr) == 40, "NegotiationWinerr");
SECSOCK_ASSERT_LAYOUT(offsetof(SOCKET_SECURITY_QUERY_INFO_IPSEC2, SaLookupContext) == 44, "SaLookupContext");
SECSOCK_ASSERT_LAYOUT(SIO_SET_SECURITY == 0x980000C8 && SIO_QUERY_SECURITY == 0xD80000C9, "SIO codes");

#endif /* SECSOCK_SECURESOCK_H */
