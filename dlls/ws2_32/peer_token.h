/*
 * The token a secured connection's peer is given on this machine: an
 * anonymous logon (user S-1-5-7, group NETWORK, no privileges), Windows'
 * own least privilege for a remote principal that maps to no local account.
 * secsock's peers prove a pinned key or a pre-shared key, never a Windows
 * account, and a Wine prefix has one account only (the program's own), so
 * no peer is ever mapped to an account.
 */
#ifndef SECSOCK_PEER_TOKEN_H
#define SECSOCK_PEER_TOKEN_H

#include <windef.h>
#include <winbase.h>

/* An impersonation token of the anonymous logon, opened with access (a
 * PeerTokenAccessMask), in *token.  Returns 0, or a Windows error:
 * ERROR_NOT_SUPPORTED when the system can make no such token (Wine 8:
 * NtImpersonateAnonymousToken is a stub and NtCreateToken is missing). */
DWORD peer_token_anonymous(ACCESS_MASK access, HANDLE *token);

#endif
