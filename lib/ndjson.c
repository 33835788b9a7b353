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

static unsigned describe_error(const char *text, size_t len, size_t off,
    enum json_tokener_error jerr, char *err, size_t errlen);

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

static const char *lexical_problem(const char *text, size_t len, size_t *at);
static unsigned column_of(const char *text, size_t off);
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
	int n = (int)len;
	json_tokener_reset(r->tok);
	json_object *obj = json_tokener_parse_ex(r->tok, line, n);
	enum json_tokener_error jerr = json_tokener_get_error(r->tok);
	if (jerr == json_tokener_success && r->tok->char_offset < n &&
	    !blank(line + r->tok->char_offset, len - (size_t)r->tok->char_offset)) {
		json_object_put(obj);
		mwarn("%s:%lu: malformed JSON: trailing data", r->name, r->lineno);
		return NDJSON_BAD;
	}
	if (jerr == json_tokener_continue) {
		json_object_put(obj);
		mwarn("%s:%lu: malformed JSON: unexpected end of line", r->name, r->lineno);
		return NDJSON_BAD;
	}
	if (jerr != json_tokener_success) {
		char why[256];
		json_object_put(obj);
		describe_error(line, len, r->tok->char_offset, jerr, why, sizeof why);
		mwarn("%s:%lu: malformed JSON: %s", r->name, r->lineno, why);
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
	size_t at;
	const char *lex = lexical_problem(line, len, &at);
	if (lex) {
		json_object_put(obj);
		mwarn("%s:%lu: malformed JSON: at column %u, %s", r->name, r->lineno,
		    column_of(line, at), lex);
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
/* What json-c's strict mode lets through that RFC 8259 does not, or NULL;
 * *at is the offending byte. json-c accepts single-quoted strings, raw
 * control characters inside strings and a number ending in '.', and it
 * reads "\\u0000" into a string that C cannot hold. The text has parsed,
 * so its strings and escapes are well formed: only these are left. */
static const char *lexical_problem(const char *text, size_t len, size_t *at)
{
	int in_string = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		*at = i;
		if (in_string) {
			if (c == '"')
				in_string = 0;
			else if (c < 0x20)
				return "a control character inside a string: expected an escape such as \\n or \\t";
			else if (c == '\\' && i + 1 < len) {
				if (i + 6 <= len && memcmp(text + i + 1, "u0000", 5) == 0)
					return "\\u0000 (a NUL character) in a string";
				i++;
			}
		} else if (c == '"') {
			in_string = 1;
		} else if (c == '\'') {
			return "a single quote: expected a string in double quotes";
		} else if (c == '.' && (i + 1 >= len || text[i + 1] < '0' || text[i + 1] > '9')) {
			return "a number that ends in '.': expected a digit after it";
		}
	}
	return NULL;
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

/* The column of byte off on its line, counting UTF-8 characters from 1. */
static unsigned column_of(const char *text, size_t off)
{
	size_t start = off;
	while (start > 0 && text[start - 1] != '\n')
		start--;
	unsigned col = 1;
	for (size_t i = start; i < off; i++)
		if (((unsigned char)text[i] & 0xC0) != 0x80)
			col++;
	return col;
}

/* What json-c's error at the offending byte means for a person. */
static const char *expected(enum json_tokener_error jerr)
{
	switch (jerr) {
	case json_tokener_error_parse_unexpected:
		return "expected a value (a string, number, object, array, true, false or null)";
	case json_tokener_error_parse_null:
	case json_tokener_error_parse_boolean: return "expected true, false or null";
	case json_tokener_error_parse_number: return "expected a number";
	case json_tokener_error_parse_array: return "expected ',' or ']' after the value";
	case json_tokener_error_parse_object_key_name: return "expected a name in double quotes";
	case json_tokener_error_parse_object_key_sep: return "expected ':' after the name";
	case json_tokener_error_parse_object_value_sep: return "expected ',' or '}' after the value";
	case json_tokener_error_parse_string: return "expected a valid escape or the closing quote";
	default: return json_tokener_error_desc(jerr);
	}
}

/* "at column C, ...": where a document stops being JSON; returns the line
 * of that place. A '}' or ']' that json-c trips on after a comma is a
 * trailing comma: the comma is the mistake, so that is the place named. */
static unsigned describe_error(const char *text, size_t len, size_t off, enum json_tokener_error jerr,
    char *err, size_t errlen)
{
	if (off >= len)
		off = len ? len - 1 : 0;
	char c = len ? text[off] : '\0';
	size_t prev = off;
	while (prev > 0 && strchr(" \t\r\n", text[prev - 1]))
		prev--;
	if ((c == '}' || c == ']') && prev > 0 && text[prev - 1] == ',') {
		size_t comma = prev - 1;
		unsigned cl = line_of(text, comma), bl = line_of(text, off);
		char on[32] = "";
		if (bl != cl)
			snprintf(on, sizeof on, " (line %u)", bl);
		snprintf(err, errlen, "at column %u, a comma before '%c'%s: expected another %s after it "
		    "(JSON has no comma after the last %s)", column_of(text, comma), c, on,
		    c == '}' ? "\"name\": value" : "value", c == '}' ? "member" : "element");
		return cl;
	}
	char found[24];
	if ((unsigned char)c >= 0x21 && (unsigned char)c < 0x7f)
		snprintf(found, sizeof found, "'%c'", c);
	else if (c == '\n')
		snprintf(found, sizeof found, "the end of the line");
	else
		snprintf(found, sizeof found, "byte 0x%02x", (unsigned char)c);
	snprintf(err, errlen, "at column %u, %s: %s", column_of(text, off), found, expected(jerr));
	return line_of(text, off);
}

json_object *json_parse_strict(const char *text, size_t len, char *err, size_t errlen)
{
	if (memchr(text, '\0', len)) {
		snprintf(err, errlen, "line %u: NUL byte", line_of(text, (size_t)((const char *)memchr(text, '\0', len) - text)));
		return NULL;
	}
	if (blank(text, len)) {
		snprintf(err, errlen, "empty document");
		return NULL;
	}
	if (len > INT_MAX) { /* json-c takes an int length */
		snprintf(err, errlen, "document longer than %d bytes", INT_MAX);
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
		snprintf(err, errlen, "line %u: unexpected end of document", line_of(text, len));
		return NULL;
	}
	if (jerr != json_tokener_success) {
		char w[256];
		unsigned line = describe_error(text, len, off, jerr, w, sizeof w);
		snprintf(err, errlen, "line %u: %s", line, w);
		return NULL;
	}
	if (off < len && !blank(text + off, len - off)) {
		json_object_put(o);
		snprintf(err, errlen, "line %u: at column %u, trailing data after the JSON value",
		    line_of(text, off), column_of(text, off));
		return NULL;
	}
	const char *bad = bad_value(o);
	if (bad) {
		json_object_put(o);
		snprintf(err, errlen, "%s", bad);
		return NULL;
	}
	size_t at;
	const char *lex = lexical_problem(text, len, &at);
	if (lex) {
		json_object_put(o);
		snprintf(err, errlen, "line %u: at column %u, %s", line_of(text, at), column_of(text, at), lex);
		return NULL;
	}
	return o;
}
