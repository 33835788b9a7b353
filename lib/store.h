/* store.h: frontyard storage behind one small interface. A store is named
 * by a URL: "file:DIR" or a plain path (directory storage), or
 * "s3://bucket/prefix" (object storage; endpoint, region and keys from the
 * AWS_* environment variables). Keys are relative ("clips/ID/VER/360p.mp4"),
 * never start with '/', never hold "..". A key appears only when its object
 * is complete. */
#ifndef MEDUSA_STORE_H
#define MEDUSA_STORE_H

#include <stddef.h>
#include "store_key.h"

struct store;

struct store_ops {
	const char *scheme;
	int (*open)(struct store *s, const char *rest, char *err, size_t errlen);
	int (*put_file)(struct store *s, const char *key, const char *path, const char *mime,
	    const char *hash, int may_move);
	int (*stat)(struct store *s, const char *key, long long *size, char *hash, size_t hashlen);
	int (*get_file)(struct store *s, const char *key, const char *path);
	int (*remove)(struct store *s, const char *const *keys, size_t nkeys);
	int (*list)(struct store *s, const char *prefix,
	    int (*each)(void *arg, const char *key, long long size), void *arg);
	void (*close)(struct store *s);
};

struct store {
	const struct store_ops *ops;
	char *url;              /* as given */
	char *root;             /* directory stores: absolute root; else NULL */
	void *priv;             /* backend state */
};

/* Opens a store by URL. NULL with err filled on error. */
struct store *store_open(const char *url, char *err, size_t errlen);
void store_close(struct store *s);

/* Puts a local file under key, with its mime type and BLAKE2b hash (hex)
 * recorded where the backend can. may_move: the caller gives the file away
 * (a directory store may rename or hard-link instead of copying). Putting a
 * key that exists whole with the same hash does nothing. 1 when the key
 * was not there before, 0 when it was, or -1 after a message naming the
 * key (errno EBADMSG: the file does not match hash). */
int store_put_file(struct store *s, const char *key, const char *path, const char *mime,
    const char *hash, int may_move);
/* 1 when key exists (size and, where known, hash filled), 0 when not, -1 on
 * error after a message. hash may be NULL. */
int store_stat(struct store *s, const char *key, long long *size, char *hash, size_t hashlen);
/* Copies key to a local file (atomically). 0 or -1. */
int store_get_file(struct store *s, const char *key, const char *path);
/* Removes keys (missing ones are not an error); a key another tool put
 * there may hold any character but NUL (store_key_removable). 0 or -1. */
int store_remove(struct store *s, const char *const *keys, size_t nkeys);
/* Calls each(arg, key, size) for every key under prefix, in key order where
 * the backend allows; a non-zero return from each stops the walk and is
 * returned. -1 on error. */
int store_list(struct store *s, const char *prefix,
    int (*each)(void *arg, const char *key, long long size), void *arg);

extern const struct store_ops store_dir_ops;
extern const struct store_ops store_s3_ops;

#endif
