#include "ndjson.h"
#include "util.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct ndjson_reader {
	FILE *f;
	char *name;
	char *line;
	size_t cap;
	unsigned long lineno;
	json_tokener *tok;
};

struct ndjson_reader *ndjson_open(FILE *f, const char *name)
{
	struct ndjson_reader *r = xcalloc(1, sizeof *r);
	r->f = f;
	r->name = xstrdup(name ? name : "stdin");
	r->tok = json_tokener_new_ex(JSON_TOKENER_DEFAULT_DEPTH);
	if (!r->tok)
		mdie(EXIT_USAGE, "out of memory");
	/* strict, UTF-8 JSON only: json-c's lenient mode takes "0e", single
	 * quotes and bad UTF-8, which every later stage would write back as
	 * JSON no other reader accepts */
	json_tokener_set_flags(r->tok, JSON_TOKENER_STRICT | JSON_TOKENER_ALLOW_TRAILING_CHARS |
	    JSON_TOKENER_VALIDATE_UTF8);
	return r;
}

void ndjson_close(struct ndjson_reader *r)
{
	if (!r)
		return;
	json_tokener_free(r->tok);
	free(r->line);
	free(r->name);
	free(r);
}

unsigned long ndjson_lineno(const struct ndjson_reader *r) { return r->lineno; }

static long nul_escape(const char *text, size_t len);
static const char *bad_value(json_object *o);

static int blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strchr(" \t\r\n", s[i]))
			return 0;
	return 1;
}

int ndjson_next_line(struct ndjson_reader *r, const char **line, size_t *len)
{
	for (;;) {
		errno = 0;
		ssize_t n = getline(&r->line, &r->cap, r->f);
		if (n < 0) {
			if (ferror(r->f)) {
				mwarnerr("%s: read error", r->name);
				return NDJSON_IOERR;
			}
			return NDJSON_EOF;
		}
		r->lineno++;
		if (blank(r->line, (size_t)n))
			continue;
		*line = r->line;
		*len = (size_t)n;
		return NDJSON_RECORD;
	}
}

int ndjson_parse_line(struct ndjson_reader *r, const char *line, size_t len, json_object **out)
{
	*out = NULL;
	if (memchr(line, '\0', len)) {
		mwarn("%s:%lu: NUL byte in record", r->name, r->lineno);
		return NDJSON_BAD;
	}
	if (len > INT_MAX) { /* json-c takes an int length */
		mwarn("%s:%lu: record longer than %d bytes", r->name, r->lineno, INT_MAX);
		return NDJSON_BAD;
	}
	ssize_t n = (ssize_t)len;
	json_tokener_reset(r->tok);
	json_object *obj = json_tokener_parse_ex(r->tok, line, (int)n);
	enum json_tokener_error jerr = json_tokener_get_error(r->tok);
	if (jerr == json_tokener_success && r->tok->char_offset < n &&
	    !blank(line + r->tok->char_offset, (size_t)n - (size_t)r->tok->char_offset)) {
		json_object_put(obj);
		mwarn("%s:%lu: malformed JSON: trailing data", r->name, r->lineno);
		return NDJSON_BAD;
	}
	if (jerr != json_tokener_success) {
		json_object_put(obj);
		mwarn("%s:%lu: malformed JSON: %s", r->name, r->lineno,
		    jerr == json_tokener_continue ? "unexpected end of line" :
		    json_tokener_error_desc(jerr));
		return NDJSON_BAD;
	}
	if (!json_object_is_type(obj, json_type_object)) {
		json_object_put(obj);
		mwarn("%s:%lu: record is not a JSON object", r->name, r->lineno);
		return NDJSON_BAD;
	}
	const char *bad = bad_value(obj);
	if (bad) {
		json_object_put(obj);
		mwarn("%s:%lu: malformed JSON: %s", r->name, r->lineno, bad);
		return NDJSON_BAD;
	}
	if (nul_escape(line, len) >= 0) {
		json_object_put(obj);
		mwarn("%s:%lu: malformed JSON: \\u0000 (a NUL character) in a string", r->name, r->lineno);
		return NDJSON_BAD;
	}
	*out = obj;
	return NDJSON_RECORD;
}

int ndjson_next(struct ndjson_reader *r, json_object **out)
{
	const char *line;
	size_t len;
	*out = NULL;
	int st = ndjson_next_line(r, &line, &len);
	return st == NDJSON_RECORD ? ndjson_parse_line(r, line, len, out) : st;
}

int ndjson_write(FILE *f, json_object *obj)
{
	size_t len;
	const char *s = json_object_to_json_string_length(obj,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	if (!s || fwrite(s, 1, len, f) != len || putc('\n', f) == EOF)
		return -1;
	return 0;
}

json_object *ndjson_error_record(const char *video, const char *clip, const char *msg)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "video", video ? json_object_new_string(video) : NULL);
	if (clip)
		json_object_object_add(o, "clip", json_object_new_string(clip));
	json_object_object_add(o, "error", json_object_new_string(msg));
	return o;
}

int ndjson_is_summary(json_object *rec)
{
	return json_object_object_get_ex(rec, "summary", NULL);
}

int ndjson_is_error(json_object *rec)
{
	return json_object_object_get_ex(rec, "error", NULL);
}

const char *jstr(json_object *o, const char *key)
{
	json_object *v;
	if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

int jint64(json_object *o, const char *key, long long *out)
{
	json_object *v;
	if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
		return -1;
	*out = json_object_get_int64(v);
	return 0;
}

int jdouble(json_object *o, const char *key, double *out)
{
	json_object *v;
	if (!o || !json_object_object_get_ex(o, key, &v))
		return -1;
	if (!json_object_is_type(v, json_type_int) && !json_object_is_type(v, json_type_double))
		return -1;
	*out = json_object_get_double(v);
	return 0;
}

static int cmp_keys(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static json_object *sorted_copy(json_object *o)
{
	switch (json_object_get_type(o)) {
	case json_type_object: {
		size_t n = (size_t)json_object_object_length(o), i = 0;
		const char **keys = xcalloc(n, sizeof *keys);
		json_object_object_foreach(o, k, v) {
			(void)v;
			keys[i++] = k;
		}
		qsort(keys, n, sizeof *keys, cmp_keys);
		json_object *c = json_object_new_object();
		for (i = 0; i < n; i++)
			json_object_object_add(c, keys[i], sorted_copy(json_object_object_get(o, keys[i])));
		free(keys);
		return c;
	}
	case json_type_array: {
		json_object *c = json_object_new_array();
		size_t n = json_object_array_length(o);
		for (size_t i = 0; i < n; i++)
			json_object_array_add(c, sorted_copy(json_object_array_get_idx(o, i)));
		return c;
	}
	default:
		return json_object_get(o);
	}
}

char *json_canonical(json_object *o)
{
	json_object *c = sorted_copy(o);
	char *s = xstrdup(json_object_to_json_string_ext(c,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(c);
	return s;
}

/* The offset of the first \u0000 escape in text (a NUL inside a string:
 * C strings would silently cut it there, keys and values alike), or -1. */
static long nul_escape(const char *text, size_t len)
{
	for (size_t i = 0; i + 6 <= len; i++) {
		if (text[i] != '\\' || text[i + 1] != 'u' || memcmp(text + i + 2, "0000", 4) != 0)
			continue;
		size_t b = 0; /* backslashes before: an even number leaves this one an escape */
		while (b < i && text[i - b - 1] == '\\')
			b++;
		if (b % 2 == 0)
			return (long)i;
	}
	return -1;
}

/* What makes a parsed document unfit to be written back as JSON, or NULL:
 * json-c reads "NaN" and "Infinity" even in strict mode (and writes them
 * back, which no other JSON reader accepts), and its UTF-8 check lets
 * overlong forms and lone surrogates (from "\\ud800") through. */
static const char *bad_value(json_object *o)
{
	switch (json_object_get_type(o)) {
	case json_type_double:
		return isfinite(json_object_get_double(o)) ? NULL : "NaN or Infinity: not a JSON number";
	case json_type_string:
		return utf8_valid(json_object_get_string(o)) ? NULL : "a string is not valid UTF-8";
	case json_type_object: {
		json_object_object_foreach(o, k, v) {
			if (!utf8_valid(k))
				return "a name is not valid UTF-8";
			const char *w = bad_value(v);
			if (w)
				return w;
		}
		return NULL;
	}
	case json_type_array: {
		size_t n = json_object_array_length(o);
		for (size_t i = 0; i < n; i++) {
			const char *w = bad_value(json_object_array_get_idx(o, i));
			if (w)
				return w;
		}
		return NULL;
	}
	default:
		return NULL;
	}
}

static unsigned line_of(const char *text, size_t off)
{
	unsigned line = 1;
	for (size_t i = 0; i < off; i++)
		if (text[i] == '\n')
			line++;
	return line;
}

json_object *json_parse_strict(const char *text, size_t len, char *why, size_t whylen)
{
	if (memchr(text, '\0', len)) {
		snprintf(why, whylen, "line %u: NUL byte", line_of(text, (size_t)((const char *)memchr(text, '\0', len) - text)));
		return NULL;
	}
	if (blank(text, len)) {
		snprintf(why, whylen, "empty document");
		return NULL;
	}
	if (len > INT_MAX) { /* json-c takes an int length */
		snprintf(why, whylen, "document longer than %d bytes", INT_MAX);
		return NULL;
	}
	json_tokener *tok = json_tokener_new_ex(JSON_TOKENER_DEFAULT_DEPTH);
	if (!tok)
		mdie(EXIT_USAGE, "out of memory");
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_ALLOW_TRAILING_CHARS |
	    JSON_TOKENER_VALIDATE_UTF8);
	json_object *o = json_tokener_parse_ex(tok, text, (int)len);
	enum json_tokener_error jerr = json_tokener_get_error(tok);
	size_t off = tok->char_offset;
	json_tokener_free(tok);
	if (jerr == json_tokener_continue) {
		snprintf(why, whylen, "line %u: unexpected end of document", line_of(text, len));
		return NULL;
	}
	if (jerr != json_tokener_success) {
		snprintf(why, whylen, "line %u: %s", line_of(text, off), json_tokener_error_desc(jerr));
		return NULL;
	}
	if (off < len && !blank(text + off, len - off)) {
		json_object_put(o);
		snprintf(why, whylen, "line %u: trailing data after the JSON value", line_of(text, off));
		return NULL;
	}
	const char *bad = bad_value(o);
	if (bad) {
		json_object_put(o);
		snprintf(why, whylen, "%s", bad);
		return NULL;
	}
	long nul = nul_escape(text, len);
	if (nul >= 0) {
		json_object_put(o);
		snprintf(why, whylen, "line %u: \\u0000 (a NUL character) in a string", line_of(text, (size_t)nul));
		return NULL;
	}
	return o;
}
