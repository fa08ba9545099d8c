/* The verdict on a secured peer's certificate, with its reasons: shared
 * by the trust anchors (which decide it) and the relay (which reports
 * it).  Names and texts are in trust_anchors.c. */
#ifndef SECSOCK_TRUST_VERDICT_H
#define SECSOCK_TRUST_VERDICT_H

enum trust_verdict {
    TRUST_NOT_CHECKED = 0,
    TRUST_OK_CHAIN,        /* chains to a trusted CA and names the peer */
    TRUST_OK_PIN,          /* its key is pinned */
    TRUST_NO_CERTIFICATE,  /* the peer sent none */
    TRUST_NOT_PINNED,      /* pins only, and its key is not one of them */
    TRUST_UNKNOWN_CA,
    TRUST_EXPIRED,
    TRUST_NOT_YET_VALID,
    TRUST_REVOKED,
    TRUST_NAME_MISMATCH,
    TRUST_WRONG_PURPOSE,   /* not for TLS server (or client) use */
    TRUST_INVALID,         /* unreadable, bad signature, broken chain */
};

/* A short name of a verdict for logs and status ("unknown CA"). */
const char *trust_verdict_name(enum trust_verdict verdict);
int trust_verdict_ok(enum trust_verdict verdict);

#endif
