/* hash.h: BLAKE2b (libsodium) for file hashes, etags, clip ids and
 * rendition versions. */
#ifndef MEDUSA_HASH_H
#define MEDUSA_HASH_H

#include <stddef.h>
#include <sodium.h>

/* Call once before any other function here (sodium_init). 0 or -1. */
int hash_init(void);

#define HASH_HEX_LEN 64 /* 32-byte BLAKE2b as lowercase hex */

/* hex must hold 2*outlen+1 bytes. */
void hash_to_hex(const unsigned char *bin, size_t n, char *hex);
/* 32-byte BLAKE2b of a buffer, as hex (HASH_HEX_LEN+1). */
void hash_buffer_hex(const void *buf, size_t n, char hex[HASH_HEX_LEN + 1]);
/* 32-byte BLAKE2b of a whole file (read in blocks, never whole into memory).
 * 0, or -1 with errno set. */
int hash_file_hex(const char *path, char hex[HASH_HEX_LEN + 1]);

/* An etag: 16-byte BLAKE2b of the file's bytes as 32 hex digits. A missing
 * file has the etag of no bytes. */
#define ETAG_LEN 32
void hash_etag(const void *buf, size_t n, char etag[ETAG_LEN + 1]);

/* Clip ids: 12 characters of [0-9a-z] (a base32 alphabet without i, l, o, u). */
#define CLIP_ID_LEN 12
void clip_id_random(char id[CLIP_ID_LEN + 1]);
/* A stable id for a hand-written clip: derived from the video path and its
 * times in milliseconds. */
void clip_id_derived(const char *video, long long start_ms, long long end_ms,
    char id[CLIP_ID_LEN + 1]);
/* Ids a user may write: 1-64 of [A-Za-z0-9_-]. */
int clip_id_valid(const char *id);

#endif
