/* sign.h: the signed re-cache request (Ed25519, libsodium). The publisher
 * holds the secret key; frontyard servers hold only the public key. The
 * request body is {"generation":G|null,"timestamp":UNIX,"nonce":HEX}; the
 * header X-Medusa-Signature carries the base64 Ed25519 signature of the
 * body's exact bytes. */
#ifndef MEDUSA_SIGN_H
#define MEDUSA_SIGN_H

#include <stddef.h>

#define SIGN_SK_BYTES 64
#define SIGN_PK_BYTES 32
#define SIGN_HEADER "X-Medusa-Signature"
#define SIGN_SKEW 300           /* seconds a timestamp may differ from the clock */
#define SIGN_SECRET_FILE "recache.key"
#define SIGN_PUBLIC_FILE "recache.pub"

/* Makes a key pair in dir (created when missing): dir/recache.key (mode 0600) and dir/recache.pub.
 * Refuses to overwrite either. 0, or -1 with err. */
int sign_keygen(const char *dir, char *err, size_t errlen);

/* Loads a key file (an optional "untrusted comment:" line, then base64).
 * The secret key file must not be readable by group or others. 0 or -1
 * with err. Wipe sk with sodium_memzero when done. */
int sign_load_secret(const char *path, unsigned char sk[SIGN_SK_BYTES], char *err, size_t errlen);
int sign_load_public(const char *path, unsigned char pk[SIGN_PK_BYTES], char *err, size_t errlen);

/* A signed re-cache request for generation (< 0: null) at time now: the
 * body (free it) and its signature in sig (base64, NUL-terminated). */
#define SIGN_SIG_B64 89
char *sign_recache(const unsigned char sk[SIGN_SK_BYTES], long long generation, long long now,
    char sig[SIGN_SIG_B64]);

/* Checks a re-cache request. 0 when the signature holds and the timestamp
 * is within SIGN_SKEW of now (*generation: the announced one or -1);
 * otherwise the HTTP status to answer with err: 401 no or unreadable
 * signature, 403 a signature that does not verify or a stale timestamp,
 * 400 a signed body that is not a re-cache request. */
int sign_check_recache(const unsigned char pk[SIGN_PK_BYTES], const char *body, size_t len,
    const char *sig, long long now, long long *generation, char *err, size_t errlen);

#endif
