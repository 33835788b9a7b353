/* urlenc.h: percent-decoding of URL paths and query strings. */
#ifndef MEDUSA_URLENC_H
#define MEDUSA_URLENC_H

#include <stddef.h>

/* The value of one hex digit, or -1 when ch is none. */
int urlenc_hexval(int ch);

/* Decodes %XX (and '+' as space when form). Refuses bad escapes and NUL
 * bytes: -1. Otherwise a new string in *out with its length. */
int urlenc_unescape(const char *s, size_t n, int form, char **out, size_t *outlen);

/* Walks a query string: *q advances; *key and *val are new decoded strings
 * (val "" for "k" alone). 1 for a pair, 0 at the end, -1 on a bad escape. */
int urlenc_query_next(const char **q, char **key, char **val);

#endif
