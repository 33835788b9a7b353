/* s3.h: a small S3 client over libcurl. Requests are signed by libcurl's
 * SigV4 (CURLOPT_AWS_SIGV4); we add x-amz-content-sha256 ourselves because
 * libcurl 7.88 does not. One client holds one curl handle, so consecutive
 * requests reuse the connection; a client is used by one thread at a time
 * (s3_dup makes another for a worker thread).
 *
 * Settings come from the environment (medusa(7)):
 *   AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL   custom endpoint, path-style
 *   AWS_REGION or AWS_DEFAULT_REGION          default us-east-1
 *   AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN
 *   MEDUSA_S3_PART_SIZE   multipart threshold and part size (bytes, >= 5 MiB)
 *   MEDUSA_S3_JOBS        parallel parts of one multipart upload (default 4)
 *   MEDUSA_S3_RETRIES     retries on connection errors, 5xx and 429 (default 4)
 *   MEDUSA_S3_TIMEOUT     seconds without progress before a request fails (30)
 *   MEDUSA_S3_PAGE        keys per LIST request (1000, the S3 maximum)
 *   MEDUSA_S3_CHECK=0     store_s3: PUT without the HEAD that skips a key
 *                         holding the same bytes (the caller just listed)
 *
 * Every function prints its own message ("s3://bucket/key: problem") and
 * returns -1 on failure. */
#ifndef MEDUSA_S3_H
#define MEDUSA_S3_H

#include <stddef.h>

struct s3;

/* A client for bucket. NULL with err filled when the settings are bad. */
struct s3 *s3_new(const char *bucket, char *err, size_t errlen);
/* A client that reads public objects under base_url (a CDN, a public
 * bucket) without signing: for s3_head, s3_get_fd and s3_get_buffer. */
struct s3 *s3_new_public(const char *base_url, char *err, size_t errlen);
/* Another client with the same settings (for another thread). */
struct s3 *s3_dup(const struct s3 *c);
void s3_free(struct s3 *c);
const char *s3_bucket(const struct s3 *c);

/* HEAD: 1 when key exists (size and the x-amz-meta-blake2b hash, "" when
 * absent, filled), 0 when not, -1 on error. */
int s3_head(struct s3 *c, const char *key, long long *size, char *hash, size_t hashlen);

/* PUT a local file under key. mime and cache_control may be NULL; hash (the
 * BLAKE2b hex) is stored as x-amz-meta-blake2b when not NULL. Files larger
 * than the part size go up as a multipart upload with parallel parts; an
 * unfinished one is aborted on failure. */
int s3_put_file(struct s3 *c, const char *key, const char *path, const char *mime,
    const char *cache_control, const char *hash);
/* PUT a buffer (small objects: the generation object). */
int s3_put_buffer(struct s3 *c, const char *key, const void *buf, size_t len,
    const char *mime, const char *cache_control);

/* GET key into fd (from its current offset; truncated and rewritten on a
 * retry). 1 done, 0 when key does not exist, -1 on error. */
int s3_get_fd(struct s3 *c, const char *key, int fd);
/* GET a small object into memory (at most max bytes; *buf NUL-terminated,
 * free it). 1, 0 when missing, -1. */
int s3_get_buffer(struct s3 *c, const char *key, size_t max, char **buf, size_t *len);

/* DeleteObjects in batches of 1000; missing keys are not an error. */
int s3_delete(struct s3 *c, const char *const *keys, size_t nkeys);

/* ListObjectsV2 under prefix, following continuation tokens; each(arg, key,
 * size) per object in key order. A non-zero return of each stops the walk
 * and is returned. */
int s3_list(struct s3 *c, const char *prefix,
    int (*each)(void *arg, const char *key, long long size), void *arg);

/* Percent-encodes s for a URL path (keep_slash) or a query value: every byte
 * but A-Z a-z 0-9 - . _ ~ becomes %XX. New string. */
char *s3_uri_encode(const char *s, int keep_slash);

/* The Content-MD5 header value of a body: base64 of its MD5 (24 chars). */
void s3_content_md5(const void *buf, size_t len, char out[25]);

#endif
