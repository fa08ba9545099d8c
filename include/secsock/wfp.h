/*
 * The Windows Filtering Platform types fwpuclnt's engine session and
 * enumerations use, which Wine 8's headers lack (fwptypes.h, fwpmtypes.h,
 * ipsectypes.h, iketypes.h, fwpmu.h).  Layouts, values and GUIDs are those
 * of Microsoft's documentation; the sizes and offsets below are asserted
 * for both architectures, and tests/conformance/secsock_wfp.c, built
 * against mingw-w64's own headers, reads what the DLL writes.
 *
 * Only what the DLL reads or writes is declared.  Include after
 * <windows.h>.
 */
#ifndef SECSOCK_WFP_H
#define SECSOCK_WFP_H

#include <stddef.h>
#include <guiddef.h>

/* ---- errors (winerror.h) ----------------------------------------------------- */
/* Wine 10's winerror.h has them as HRESULTs; fwpuclnt returns them as DWORDs. */
#undef FWP_E_PROVIDER_CONTEXT_NOT_FOUND
#undef FWP_E_NOT_FOUND
#undef FWP_E_ALREADY_EXISTS
#undef FWP_E_NULL_POINTER
#undef FWP_E_INVALID_ENUMERATOR
#undef FWP_E_INVALID_PARAMETER
#define FWP_E_PROVIDER_CONTEXT_NOT_FOUND ((DWORD)0x80320006)
#define FWP_E_NOT_FOUND                  ((DWORD)0x80320008)
#define FWP_E_ALREADY_EXISTS             ((DWORD)0x80320009)
#define FWP_E_NULL_POINTER               ((DWORD)0x8032001C)
#define FWP_E_INVALID_ENUMERATOR         ((DWORD)0x8032001D)
#define FWP_E_INVALID_PARAMETER          ((DWORD)0x80320035)

/* ---- fwptypes.h ---------------------------------------------------------------- */
typedef UINT32 FWP_ACTION_TYPE;
#define FWP_ACTION_FLAG_TERMINATING     0x00001000
#define FWP_ACTION_FLAG_NON_TERMINATING 0x00002000
#define FWP_ACTION_FLAG_CALLOUT         0x00004000
#define FWP_ACTION_BLOCK               (0x1 | FWP_ACTION_FLAG_TERMINATING)
#define FWP_ACTION_PERMIT              (0x2 | FWP_ACTION_FLAG_TERMINATING)
#define FWP_ACTION_CALLOUT_TERMINATING (0x3 | FWP_ACTION_FLAG_CALLOUT | FWP_ACTION_FLAG_TERMINATING)

typedef enum FWP_DIRECTION_ { FWP_DIRECTION_OUTBOUND, FWP_DIRECTION_INBOUND, FWP_DIRECTION_MAX } FWP_DIRECTION;
typedef enum FWP_IP_VERSION_ { FWP_IP_VERSION_V4, FWP_IP_VERSION_V6, FWP_IP_VERSION_NONE, FWP_IP_VERSION_MAX } FWP_IP_VERSION;

typedef enum FWP_DATA_TYPE_ {
    FWP_EMPTY = 0, FWP_UINT8 = 1, FWP_UINT16 = 2, FWP_UINT32 = 3, FWP_UINT64 = 4,
    FWP_BYTE_ARRAY16_TYPE = 11, FWP_BYTE_BLOB_TYPE = 12,
    FWP_V4_ADDR_MASK = 0x100, FWP_V6_ADDR_MASK = 0x101, FWP_RANGE_TYPE = 0x102,
} FWP_DATA_TYPE;

typedef enum FWP_MATCH_TYPE_ {
    FWP_MATCH_EQUAL, FWP_MATCH_GREATER, FWP_MATCH_LESS, FWP_MATCH_GREATER_OR_EQUAL, FWP_MATCH_LESS_OR_EQUAL,
    FWP_MATCH_RANGE, FWP_MATCH_FLAGS_ALL_SET, FWP_MATCH_FLAGS_ANY_SET, FWP_MATCH_FLAGS_NONE_SET,
    FWP_MATCH_EQUAL_CASE_INSENSITIVE, FWP_MATCH_NOT_EQUAL, FWP_MATCH_TYPE_MAX
} FWP_MATCH_TYPE;

typedef enum FWP_FILTER_ENUM_TYPE_ {
    FWP_FILTER_ENUM_FULLY_CONTAINED, FWP_FILTER_ENUM_OVERLAPPING, FWP_FILTER_ENUM_TYPE_MAX
} FWP_FILTER_ENUM_TYPE;

typedef struct FWP_BYTE_ARRAY16_ { UINT8 byteArray16[16]; } FWP_BYTE_ARRAY16;
typedef struct FWP_BYTE_BLOB_ { UINT32 size; UINT8 *data; } FWP_BYTE_BLOB;

/* The members a condition value shares with a value (the Windows headers
 * spell them out in both). */
#define SECSOCK_FWP_VALUE_MEMBERS \
        UINT8 uint8; \
        UINT16 uint16; \
        UINT32 uint32; \
        UINT64 *uint64; \
        FWP_BYTE_ARRAY16 *byteArray16; \
        FWP_BYTE_BLOB *byteBlob;

typedef struct FWP_VALUE0_ {
    FWP_DATA_TYPE type;
    union {
        SECSOCK_FWP_VALUE_MEMBERS
        void *pointer;
    };
} FWP_VALUE0;

typedef struct FWP_V4_ADDR_AND_MASK_ { UINT32 addr; UINT32 mask; } FWP_V4_ADDR_AND_MASK;
typedef struct FWP_V6_ADDR_AND_MASK_ { UINT8 addr[16]; UINT8 prefixLength; } FWP_V6_ADDR_AND_MASK;
typedef struct FWP_RANGE0_ { FWP_VALUE0 valueLow; FWP_VALUE0 valueHigh; } FWP_RANGE0;

typedef struct FWP_CONDITION_VALUE0_ {
    FWP_DATA_TYPE type;
    union {
        SECSOCK_FWP_VALUE_MEMBERS
        FWP_V4_ADDR_AND_MASK *v4AddrMask;
        FWP_V6_ADDR_AND_MASK *v6AddrMask;
        FWP_RANGE0 *rangeValue;
    };
} FWP_CONDITION_VALUE0;
#undef SECSOCK_FWP_VALUE_MEMBERS

/* ---- fwpmtypes.h ----------------------------------------------------------------- */
typedef struct FWPM_DISPLAY_DATA0_ { WCHAR *name; WCHAR *description; } FWPM_DISPLAY_DATA0;

#define FWPM_SESSION_FLAG_DYNAMIC 0x00000001
typedef struct FWPM_SESSION0_ {
    GUID sessionKey;
    FWPM_DISPLAY_DATA0 displayData;
    UINT32 flags;
    UINT32 txnWaitTimeoutInMSec;
    DWORD processId;
    SID *sid;
    WCHAR *username;
    BOOL kernelMode;
} FWPM_SESSION0;

typedef struct FWPM_ACTION0_ {
    FWP_ACTION_TYPE type;
    union { GUID filterType; GUID calloutKey; };
} FWPM_ACTION0;

typedef struct FWPM_FILTER_CONDITION0_ {
    GUID fieldKey;
    FWP_MATCH_TYPE matchType;
    FWP_CONDITION_VALUE0 conditionValue;
} FWPM_FILTER_CONDITION0;

typedef struct FWPM_FILTER0_ {
    GUID filterKey;
    FWPM_DISPLAY_DATA0 displayData;
    UINT32 flags;
    GUID *providerKey;
    FWP_BYTE_BLOB providerData;
    GUID layerKey;
    GUID subLayerKey;
    FWP_VALUE0 weight;
    UINT32 numFilterConditions;
    FWPM_FILTER_CONDITION0 *filterCondition;
    FWPM_ACTION0 action;
    union { UINT64 rawContext; GUID providerContextKey; };
    GUID *reserved;
    UINT64 filterId;
    FWP_VALUE0 effectiveWeight;
} FWPM_FILTER0;

#define FWPM_FILTER_FLAG_HAS_PROVIDER_CONTEXT 0x00000004

typedef enum FWPM_PROVIDER_CONTEXT_TYPE_ {
    FWPM_IPSEC_KEYING_CONTEXT, FWPM_IPSEC_IKE_QM_TRANSPORT_CONTEXT, FWPM_IPSEC_IKE_QM_TUNNEL_CONTEXT,
    FWPM_IPSEC_AUTHIP_QM_TRANSPORT_CONTEXT, FWPM_IPSEC_AUTHIP_QM_TUNNEL_CONTEXT, FWPM_IPSEC_IKE_MM_CONTEXT,
    FWPM_IPSEC_AUTHIP_MM_CONTEXT, FWPM_CLASSIFY_OPTIONS_CONTEXT, FWPM_GENERAL_CONTEXT,
    FWPM_IPSEC_IKEV2_QM_TUNNEL_CONTEXT, FWPM_IPSEC_IKEV2_MM_CONTEXT, FWPM_IPSEC_DOSP_CONTEXT,
    FWPM_PROVIDER_CONTEXT_TYPE_MAX
} FWPM_PROVIDER_CONTEXT_TYPE;

typedef struct FWPM_PROVIDER_CONTEXT_ENUM_TEMPLATE0_ FWPM_PROVIDER_CONTEXT_ENUM_TEMPLATE0;

typedef struct FWPM_PROVIDER_CONTEXT0_ {
    GUID providerContextKey;
    FWPM_DISPLAY_DATA0 displayData;
    UINT32 flags;
    GUID *providerKey;
    FWP_BYTE_BLOB providerData;
    FWPM_PROVIDER_CONTEXT_TYPE type;
    union { void *policy; FWP_BYTE_BLOB *dataBuffer; };   /* one pointer, its kind by type */
    UINT64 providerContextId;
} FWPM_PROVIDER_CONTEXT0;

typedef struct FWPM_FILTER_ENUM_TEMPLATE0_ {
    GUID *providerKey;
    GUID layerKey;
    FWP_FILTER_ENUM_TYPE enumType;
    UINT32 flags;
    FWPM_PROVIDER_CONTEXT_ENUM_TEMPLATE0 *providerContextTemplate;
    UINT32 numFilterConditions;
    FWPM_FILTER_CONDITION0 *filterCondition;
    UINT32 actionMask;
    GUID *calloutKey;
} FWPM_FILTER_ENUM_TEMPLATE0;

/* ---- iketypes.h -------------------------------------------------------------------- */
typedef enum IKEEXT_KEY_MODULE_TYPE_ {
    IKEEXT_KEY_MODULE_IKE, IKEEXT_KEY_MODULE_AUTHIP, IKEEXT_KEY_MODULE_IKEV2, IKEEXT_KEY_MODULE_MAX
} IKEEXT_KEY_MODULE_TYPE;
typedef enum IKEEXT_AUTHENTICATION_METHOD_TYPE_ {
    IKEEXT_PRESHARED_KEY = 0, IKEEXT_CERTIFICATE = 1, IKEEXT_CERTIFICATE_ECDSA_P256 = 7,
} IKEEXT_AUTHENTICATION_METHOD_TYPE;
typedef enum IKEEXT_AUTHENTICATION_IMPERSONATION_TYPE_ {
    IKEEXT_IMPERSONATION_NONE, IKEEXT_IMPERSONATION_SOCKET_PRINCIPAL, IKEEXT_IMPERSONATION_MAX
} IKEEXT_AUTHENTICATION_IMPERSONATION_TYPE;
typedef enum IKEEXT_CIPHER_TYPE_ {
    IKEEXT_CIPHER_DES, IKEEXT_CIPHER_3DES, IKEEXT_CIPHER_AES_128, IKEEXT_CIPHER_AES_192, IKEEXT_CIPHER_AES_256,
    IKEEXT_CIPHER_AES_GCM_128_16ICV, IKEEXT_CIPHER_AES_GCM_256_16ICV, IKEEXT_CIPHER_TYPE_MAX
} IKEEXT_CIPHER_TYPE;
typedef enum IKEEXT_INTEGRITY_TYPE_ {
    IKEEXT_INTEGRITY_MD5, IKEEXT_INTEGRITY_SHA1, IKEEXT_INTEGRITY_SHA_256, IKEEXT_INTEGRITY_SHA_384,
    IKEEXT_INTEGRITY_TYPE_MAX
} IKEEXT_INTEGRITY_TYPE;
typedef enum IKEEXT_DH_GROUP_ {
    IKEEXT_DH_GROUP_NONE, IKEEXT_DH_GROUP_1, IKEEXT_DH_GROUP_2, IKEEXT_DH_GROUP_14, IKEEXT_DH_ECP_256,
    IKEEXT_DH_ECP_384, IKEEXT_DH_GROUP_24, IKEEXT_DH_GROUP_MAX
} IKEEXT_DH_GROUP;
#define IKEEXT_DH_GROUP_2048 IKEEXT_DH_GROUP_14

typedef UINT64 IKEEXT_COOKIE;
typedef struct IKEEXT_COOKIE_PAIR0_ { IKEEXT_COOKIE initiator; IKEEXT_COOKIE responder; } IKEEXT_COOKIE_PAIR0;
typedef struct IKEEXT_CIPHER_ALGORITHM0_ { IKEEXT_CIPHER_TYPE algoIdentifier; UINT32 keyLen; UINT32 rounds; } IKEEXT_CIPHER_ALGORITHM0;
typedef struct IKEEXT_INTEGRITY_ALGORITHM0_ { IKEEXT_INTEGRITY_TYPE algoIdentifier; } IKEEXT_INTEGRITY_ALGORITHM0;
typedef struct IKEEXT_PROPOSAL0_ {
    IKEEXT_CIPHER_ALGORITHM0 cipherAlgorithm;
    IKEEXT_INTEGRITY_ALGORITHM0 integrityAlgorithm;
    UINT32 maxLifetimeSeconds;
    IKEEXT_DH_GROUP dhGroup;
    UINT32 quickModeLimit;
} IKEEXT_PROPOSAL0;
/* The head IKEEXT_TRAFFIC0 and IPSEC_TRAFFIC0 share: the version and both ends. */
#define SECSOCK_TRAFFIC_ENDS \
    FWP_IP_VERSION ipVersion; \
    union { UINT32 localV4Address; UINT8 localV6Address[16]; }; \
    union { UINT32 remoteV4Address; UINT8 remoteV6Address[16]; };

typedef struct IKEEXT_TRAFFIC0_ {
    SECSOCK_TRAFFIC_ENDS
    UINT64 authIpFilterId;
} IKEEXT_TRAFFIC0;
typedef struct IKEEXT_PRESHARED_KEY_AUTHENTICATION0_ { FWP_BYTE_BLOB presharedKey; } IKEEXT_PRESHARED_KEY_AUTHENTICATION0;
typedef struct IKEEXT_CERTIFICATE_CREDENTIAL0_ {
    FWP_BYTE_BLOB subjectName;
    FWP_BYTE_BLOB certHash;
    UINT32 flags;
} IKEEXT_CERTIFICATE_CREDENTIAL0;
typedef struct IKEEXT_CREDENTIAL0_ {
    IKEEXT_AUTHENTICATION_METHOD_TYPE authenticationMethodType;
    IKEEXT_AUTHENTICATION_IMPERSONATION_TYPE impersonationType;
    union {
        IKEEXT_PRESHARED_KEY_AUTHENTICATION0 *presharedKey;
        IKEEXT_CERTIFICATE_CREDENTIAL0 *certificate;
        void *name;
    };
} IKEEXT_CREDENTIAL0;
typedef struct IKEEXT_CREDENTIAL_PAIR0_ { IKEEXT_CREDENTIAL0 localCredentials; IKEEXT_CREDENTIAL0 peerCredentials; } IKEEXT_CREDENTIAL_PAIR0;
typedef struct IKEEXT_CREDENTIALS0_ { UINT32 numCredentials; IKEEXT_CREDENTIAL_PAIR0 *credentials; } IKEEXT_CREDENTIALS0;

typedef struct IKEEXT_SA_DETAILS0_ {
    UINT64 saId;
    IKEEXT_KEY_MODULE_TYPE keyModuleType;
    FWP_IP_VERSION ipVersion;
    union { void *v4UdpEncapsulation; };
    IKEEXT_TRAFFIC0 ikeTraffic;
    IKEEXT_PROPOSAL0 ikeProposal;
    IKEEXT_COOKIE_PAIR0 cookiePair;
    IKEEXT_CREDENTIALS0 ikeCredentials;
    GUID ikePolicyKey;
    UINT64 virtualIfTunnelId;
} IKEEXT_SA_DETAILS0;

/* ---- ipsectypes.h ------------------------------------------------------------------- */
typedef UINT32 IPSEC_SA_SPI;
typedef UINT8 IPSEC_AUTH_CONFIG;
typedef UINT8 IPSEC_CIPHER_CONFIG;
#define IPSEC_AUTH_CONFIG_HMAC_MD5_96      0
#define IPSEC_AUTH_CONFIG_HMAC_SHA_1_96    1
#define IPSEC_AUTH_CONFIG_HMAC_SHA_256_128 2
#define IPSEC_AUTH_CONFIG_GCM_AES_128      3
#define IPSEC_AUTH_CONFIG_GCM_AES_192      4
#define IPSEC_AUTH_CONFIG_GCM_AES_256      5
#define IPSEC_CIPHER_CONFIG_CBC_DES        1
#define IPSEC_CIPHER_CONFIG_CBC_3DES       2
#define IPSEC_CIPHER_CONFIG_CBC_AES_128    3
#define IPSEC_CIPHER_CONFIG_CBC_AES_192    4
#define IPSEC_CIPHER_CONFIG_CBC_AES_256    5
#define IPSEC_CIPHER_CONFIG_GCM_AES_128    6
#define IPSEC_CIPHER_CONFIG_GCM_AES_192    7
#define IPSEC_CIPHER_CONFIG_GCM_AES_256    8

typedef enum IPSEC_TRAFFIC_TYPE_ { IPSEC_TRAFFIC_TYPE_TRANSPORT, IPSEC_TRAFFIC_TYPE_TUNNEL, IPSEC_TRAFFIC_TYPE_MAX } IPSEC_TRAFFIC_TYPE;
typedef enum IPSEC_PFS_GROUP_ {
    IPSEC_PFS_NONE, IPSEC_PFS_1, IPSEC_PFS_2, IPSEC_PFS_2048, IPSEC_PFS_ECP_256, IPSEC_PFS_ECP_384, IPSEC_PFS_MM,
    IPSEC_PFS_24, IPSEC_PFS_MAX
} IPSEC_PFS_GROUP;
typedef enum IPSEC_TRANSFORM_TYPE_ {
    IPSEC_TRANSFORM_AH = 1, IPSEC_TRANSFORM_ESP_AUTH, IPSEC_TRANSFORM_ESP_CIPHER, IPSEC_TRANSFORM_ESP_AUTH_AND_CIPHER,
    IPSEC_TRANSFORM_ESP_AUTH_FW, IPSEC_TRANSFORM_TYPE_MAX
} IPSEC_TRANSFORM_TYPE;
typedef enum IPSEC_AUTH_TYPE_ {
    IPSEC_AUTH_MD5, IPSEC_AUTH_SHA_1, IPSEC_AUTH_SHA_256, IPSEC_AUTH_AES_128, IPSEC_AUTH_AES_192, IPSEC_AUTH_AES_256,
    IPSEC_AUTH_MAX
} IPSEC_AUTH_TYPE;
typedef enum IPSEC_CIPHER_TYPE_ {
    IPSEC_CIPHER_TYPE_DES = 1, IPSEC_CIPHER_TYPE_3DES, IPSEC_CIPHER_TYPE_AES_128, IPSEC_CIPHER_TYPE_AES_192,
    IPSEC_CIPHER_TYPE_AES_256, IPSEC_CIPHER_TYPE_MAX
} IPSEC_CIPHER_TYPE;

typedef struct IPSEC_AUTH_TRANSFORM_ID0_ { IPSEC_AUTH_TYPE authType; IPSEC_AUTH_CONFIG authConfig; } IPSEC_AUTH_TRANSFORM_ID0;
typedef struct IPSEC_CIPHER_TRANSFORM_ID0_ { IPSEC_CIPHER_TYPE cipherType; IPSEC_CIPHER_CONFIG cipherConfig; } IPSEC_CIPHER_TRANSFORM_ID0;
typedef struct IPSEC_AUTH_TRANSFORM0_ { IPSEC_AUTH_TRANSFORM_ID0 authTransformId; GUID *cryptoModuleId; } IPSEC_AUTH_TRANSFORM0;
typedef struct IPSEC_CIPHER_TRANSFORM0_ { IPSEC_CIPHER_TRANSFORM_ID0 cipherTransformId; GUID *cryptoModuleId; } IPSEC_CIPHER_TRANSFORM0;
typedef struct IPSEC_SA_AUTH_INFORMATION0_ { IPSEC_AUTH_TRANSFORM0 authTransform; FWP_BYTE_BLOB authKey; } IPSEC_SA_AUTH_INFORMATION0;
typedef struct IPSEC_SA_CIPHER_INFORMATION0_ { IPSEC_CIPHER_TRANSFORM0 cipherTransform; FWP_BYTE_BLOB cipherKey; } IPSEC_SA_CIPHER_INFORMATION0;
typedef struct IPSEC_SA_AUTH_AND_CIPHER_INFORMATION0_ {
    IPSEC_SA_CIPHER_INFORMATION0 saCipherInformation;
    IPSEC_SA_AUTH_INFORMATION0 saAuthInformation;
} IPSEC_SA_AUTH_AND_CIPHER_INFORMATION0;
typedef struct IPSEC_SA0_ {
    IPSEC_SA_SPI spi;
    IPSEC_TRANSFORM_TYPE saTransformType;
    union {
        IPSEC_SA_AUTH_INFORMATION0 *espAuthInformation;
        IPSEC_SA_CIPHER_INFORMATION0 *espCipherInformation;
        IPSEC_SA_AUTH_AND_CIPHER_INFORMATION0 *espAuthAndCipherInformation;
    };
} IPSEC_SA0;
typedef struct IPSEC_SA_LIFETIME0_ { UINT32 lifetimeSeconds; UINT32 lifetimeKilobytes; UINT32 lifetimePackets; } IPSEC_SA_LIFETIME0;
typedef struct IPSEC_SA_BUNDLE0_ {
    UINT32 flags;
    IPSEC_SA_LIFETIME0 lifetime;
    UINT32 idleTimeoutSeconds;
    UINT32 ndAllowClearTimeoutSeconds;
    void *ipsecId;
    UINT32 napContext;
    UINT32 qmSaId;
    UINT32 numSAs;
    IPSEC_SA0 *saList;
    void *keyModuleState;
    FWP_IP_VERSION ipVersion;
    union { UINT32 peerV4PrivateAddress; };
    UINT64 mmSaId;
    IPSEC_PFS_GROUP pfsGroup;
} IPSEC_SA_BUNDLE0;
typedef struct IPSEC_TRAFFIC0_ {
    SECSOCK_TRAFFIC_ENDS
    IPSEC_TRAFFIC_TYPE trafficType;
    union { UINT64 ipsecFilterId; UINT64 tunnelPolicyId; };
    UINT16 remotePort;
} IPSEC_TRAFFIC0;
#undef SECSOCK_TRAFFIC_ENDS
typedef struct IPSEC_SA_DETAILS0_ {
    FWP_IP_VERSION ipVersion;
    FWP_DIRECTION saDirection;
    IPSEC_TRAFFIC0 traffic;
    IPSEC_SA_BUNDLE0 saBundle;
    union { void *udpEncapsulation; };
    FWPM_FILTER0 *transportFilter;
} IPSEC_SA_DETAILS0;
typedef struct IPSEC_SA_CONTEXT0_ {
    UINT64 saContextId;
    IPSEC_SA_DETAILS0 *inboundSa;
    IPSEC_SA_DETAILS0 *outboundSa;
} IPSEC_SA_CONTEXT0;
typedef struct IPSEC_SA_CONTEXT_ENUM_TEMPLATE0_ {
    FWP_CONDITION_VALUE0 localSubNet;
    FWP_CONDITION_VALUE0 remoteSubNet;
} IPSEC_SA_CONTEXT_ENUM_TEMPLATE0;

/* ---- fwpmu.h: the GUIDs the view uses ---------------------------------------------------- */
#define SECSOCK_WFP_GUID(name, l, w1, w2, b1, b2, b3, b4, b5, b6, b7, b8) \
    static const GUID name = { l, w1, w2, { b1, b2, b3, b4, b5, b6, b7, b8 } }
SECSOCK_WFP_GUID(FWPM_LAYER_IKEEXT_V4, 0xb14b7bdb, 0xdbbd, 0x473e, 0xbe, 0xd4, 0x8b, 0x47, 0x08, 0xd4, 0xf2, 0x70);
SECSOCK_WFP_GUID(FWPM_LAYER_IKEEXT_V6, 0xb64786b3, 0xf687, 0x4eb9, 0x89, 0xd2, 0x8e, 0xf3, 0x2a, 0xcd, 0xab, 0xe2);
SECSOCK_WFP_GUID(FWPM_LAYER_IPSEC_V4, 0xeda65c74, 0x610d, 0x4bc5, 0x94, 0x8f, 0x3c, 0x4f, 0x89, 0x55, 0x68, 0x67);
SECSOCK_WFP_GUID(FWPM_LAYER_IPSEC_V6, 0x13c48442, 0x8d87, 0x4261, 0x9a, 0x29, 0x59, 0xd2, 0xab, 0xc3, 0x48, 0xb4);
SECSOCK_WFP_GUID(FWPM_LAYER_OUTBOUND_TRANSPORT_V4, 0x09e61aea, 0xd214, 0x46e2, 0x9b, 0x21, 0xb2, 0x6b, 0x0b, 0x2f, 0x28, 0xc8);
SECSOCK_WFP_GUID(FWPM_LAYER_OUTBOUND_TRANSPORT_V6, 0xe1735bde, 0x013f, 0x4655, 0xb3, 0x51, 0xa4, 0x9e, 0x15, 0x76, 0x2d, 0xf0);
SECSOCK_WFP_GUID(FWPM_LAYER_INBOUND_TRANSPORT_V4, 0x5926dfc8, 0xe3cf, 0x4426, 0xa2, 0x83, 0xdc, 0x39, 0x3f, 0x5d, 0x0f, 0x9d);
SECSOCK_WFP_GUID(FWPM_LAYER_INBOUND_TRANSPORT_V6, 0x634a869f, 0xfc23, 0x4b90, 0xb0, 0xc1, 0xbf, 0x62, 0x0a, 0x36, 0xae, 0x6f);
SECSOCK_WFP_GUID(FWPM_CALLOUT_IPSEC_OUTBOUND_TRANSPORT_V4, 0x4b46bf0a, 0x4523, 0x4e57, 0xaa, 0x38, 0xa8, 0x79, 0x87, 0xc9, 0x10, 0xd9);
SECSOCK_WFP_GUID(FWPM_CALLOUT_IPSEC_OUTBOUND_TRANSPORT_V6, 0x38d87722, 0xad83, 0x4f11, 0xa9, 0x1f, 0xdf, 0x0f, 0xb0, 0x77, 0x22, 0x5b);
SECSOCK_WFP_GUID(FWPM_CALLOUT_IPSEC_INBOUND_TRANSPORT_V4, 0x5132900d, 0x5e84, 0x4b5f, 0x80, 0xe4, 0x01, 0x74, 0x1e, 0x81, 0xff, 0x10);
SECSOCK_WFP_GUID(FWPM_CALLOUT_IPSEC_INBOUND_TRANSPORT_V6, 0x49d3ac92, 0x2a6c, 0x4dcf, 0x95, 0x5f, 0x1c, 0x3b, 0xe0, 0x09, 0xdd, 0x99);
SECSOCK_WFP_GUID(FWPM_CONDITION_IP_LOCAL_ADDRESS, 0xd9ee00de, 0xc1ef, 0x4617, 0xbf, 0xe3, 0xff, 0xd8, 0xf5, 0xa0, 0x89, 0x57);
SECSOCK_WFP_GUID(FWPM_CONDITION_IP_REMOTE_ADDRESS, 0xb235ae9a, 0x1d64, 0x49b8, 0xa4, 0x4c, 0x5f, 0xf3, 0xd9, 0x09, 0x50, 0x45);
SECSOCK_WFP_GUID(FWPM_CONDITION_IP_PROTOCOL, 0x3971ef2b, 0x623e, 0x4f9a, 0x8c, 0xb1, 0x6e, 0x79, 0xb8, 0x06, 0xb9, 0xa7);
SECSOCK_WFP_GUID(FWPM_CONDITION_IP_LOCAL_PORT, 0x0c1ba1af, 0x5765, 0x453f, 0xaf, 0x22, 0xa8, 0xf7, 0x91, 0xac, 0x77, 0x5b);
SECSOCK_WFP_GUID(FWPM_CONDITION_IP_REMOTE_PORT, 0xc35a604d, 0xd22b, 0x4e1a, 0x91, 0xb4, 0x68, 0xf6, 0x74, 0xee, 0x67, 0x4b);
#undef SECSOCK_WFP_GUID

/* Wine's own, to which memory not ours goes. */
void WINAPI FwpmFreeMemory0(void **p);

/* ---- layouts, as documented (the same on Windows and under mingw-w64) ----------------------- */
/* One list for both architectures: the 64-bit value, then the 32-bit one. */
#ifdef _WIN64
#define SECSOCK_WFP_ABI(win64, win32) (win64)
#else
#define SECSOCK_WFP_ABI(win64, win32) (win32)
#endif
C_ASSERT(sizeof(FWP_VALUE0) == SECSOCK_WFP_ABI(16, 8));
C_ASSERT(sizeof(FWPM_FILTER_CONDITION0) == SECSOCK_WFP_ABI(40, 28));
C_ASSERT(sizeof(FWPM_FILTER0) == SECSOCK_WFP_ABI(200, 152));
C_ASSERT(offsetof(FWPM_FILTER0, filterId) == SECSOCK_WFP_ABI(176, 136));
C_ASSERT(sizeof(FWPM_FILTER_ENUM_TEMPLATE0) == SECSOCK_WFP_ABI(72, 48));
C_ASSERT(sizeof(FWPM_PROVIDER_CONTEXT0) == SECSOCK_WFP_ABI(88, 56));
C_ASSERT(sizeof(IKEEXT_SA_DETAILS0) == SECSOCK_WFP_ABI(160, 152));
C_ASSERT(offsetof(IKEEXT_SA_DETAILS0, ikeCredentials) == 120);
C_ASSERT(sizeof(IPSEC_SA_DETAILS0) == SECSOCK_WFP_ABI(168, 144));
C_ASSERT(offsetof(IPSEC_SA_DETAILS0, saBundle) == 64);
C_ASSERT(offsetof(IPSEC_SA_BUNDLE0, mmSaId) == SECSOCK_WFP_ABI(72, 56));
C_ASSERT(sizeof(IPSEC_SA_CONTEXT0) == SECSOCK_WFP_ABI(24, 16));
C_ASSERT(sizeof(IPSEC_SA_CONTEXT_ENUM_TEMPLATE0) == SECSOCK_WFP_ABI(32, 16));
#undef SECSOCK_WFP_ABI

#endif /* SECSOCK_WFP_H */
