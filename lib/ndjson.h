/* ndjson.h: newline-delimited JSON records on a stream, lines of any
 * length. */
#ifndef MEDUSA_NDJSON_H
#define MEDUSA_NDJSON_H

#include <stdio.h>
#include <json-c/json.h>

struct ndjson_reader;

/* name is used in messages ("-" or "stdin" for standard input). */
struct ndjson_reader *ndjson_open(FILE *f, const char *name);
void ndjson_close(struct ndjson_reader *r);

enum {
	NDJSON_RECORD = 1,  /* *out holds a new reference to an object */
	NDJSON_EOF = 0,
	NDJSON_BAD = -1,    /* a malformed line: reported, skip it and go on */
	NDJSON_IOERR = -2,  /* a read error: reported, stop */
};
/* Reads the next record. Blank lines are skipped. A line that is not a JSON
 * object is reported as "name:LINE: ..." and NDJSON_BAD is returned. */
int ndjson_next(struct ndjson_reader *r, json_object **out);
unsigned long ndjson_lineno(const struct ndjson_reader *r);
/* ndjson_next in two steps, for a reader that can act on the bytes of a
 * line it has seen before without parsing it: the next non-blank line as
 * it is (*line, with its newline, valid until the next call; NDJSON_RECORD,
 * NDJSON_EOF or NDJSON_IOERR), then, when wanted, that line parsed as
 * ndjson_next parses it. */
int ndjson_next_line(struct ndjson_reader *r, const char **line, size_t *len);
int ndjson_parse_line(struct ndjson_reader *r, const char *line, size_t len, json_object **out);

/* Writes obj as one line (compact, slashes not escaped). 0 or -1. */
int ndjson_write(FILE *f, json_object *obj);

/* An error record for downstream stages: {"video": video, "error": msg}
 * (video may be NULL; clip is added when not NULL). */
json_object *ndjson_error_record(const char *video, const char *clip, const char *msg);

/* The summary record that ends a complete scan: {"summary": {...}}. */
int ndjson_is_summary(json_object *rec);
int ndjson_is_error(json_object *rec);

/* Small accessors returning NULL/default when absent or of another type. */
const char *jstr(json_object *o, const char *key);
int jint64(json_object *o, const char *key, long long *out);
int jdouble(json_object *o, const char *key, double *out);

/* Parses a whole JSON document (a config, a sidecar, a request body):
 * trailing data is an error, and err gets "line N: reason". NULL on error. */
json_object *json_parse_strict(const char *text, size_t len, char *err, size_t errlen);

/* Canonical JSON: object keys sorted, compact, no slash escapes. Stable
 * across runs, so it can be hashed (rendition versions). Free the result. */
char *json_canonical(json_object *o);

#endif
