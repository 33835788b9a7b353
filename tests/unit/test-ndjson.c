#include "tap.h"
#include "ndjson.h"
#include "util.h"

#include <stdlib.h>

int main(void)
{
	/* a line of 1 MiB, blank lines, a malformed line, trailing data, an
	 * array, a NUL byte: each bad line is skipped with its number */
	size_t big = 1 << 20;
	char *text = xmalloc(big + 256);
	size_t off = (size_t)sprintf(text, "{\"a\":1}\n\n  \n{\"s\":\"");
	memset(text + off, 'x', big);
	off += big;
	off += (size_t)sprintf(text + off, "\"}\n{bad\n{\"b\":2} x\n[1]\n{\"n\":\"a");
	text[off++] = '\0';
	off += (size_t)sprintf(text + off, "\"}\n{\"last\":true}");
	FILE *f = fmemopen(text, off, "r");
	struct ndjson_reader *r = ndjson_open(f, "test");
	json_object *o;
	ok(ndjson_next(r, &o) == NDJSON_RECORD && jstr(o, "s") == NULL, "first record");
	json_object_put(o);
	ok(ndjson_next(r, &o) == NDJSON_RECORD && strlen(jstr(o, "s")) == big, "a 1 MiB line");
	ok(ndjson_lineno(r) == 4, "blank lines counted: line %lu", ndjson_lineno(r));
	json_object_put(o);
	ok(ndjson_next(r, &o) == NDJSON_BAD && ndjson_lineno(r) == 5, "malformed line 5");
	ok(ndjson_next(r, &o) == NDJSON_BAD && ndjson_lineno(r) == 6, "trailing data line 6");
	ok(ndjson_next(r, &o) == NDJSON_BAD && ndjson_lineno(r) == 7, "array line 7");
	ok(ndjson_next(r, &o) == NDJSON_BAD && ndjson_lineno(r) == 8, "NUL line 8");
	ok(ndjson_next(r, &o) == NDJSON_RECORD, "last line without a newline");
	json_object_put(o);
	ok(ndjson_next(r, &o) == NDJSON_EOF, "EOF");
	ndjson_close(r);
	fclose(f);
	free(text);

	char why[256];
	o = json_parse_strict("{\"a\": 1,\n \"b\": [1, 2,]\n}", 24, why, sizeof why);
	ok(!o, "strict: trailing comma refused");
	ok(strncmp(why, "line 2: ", 8) == 0, "strict: line named (%s)", why);
	/* a trailing comma: the comma's line and column, and what was expected */
	const char *cfg = "{\n  \"tags\": {\n    \"place\": {\"type\": \"string\"},\n  },\n  \"x\": 1\n}\n";
	o = json_parse_strict(cfg, strlen(cfg), why, sizeof why);
	ok(!o && strcmp(why, "line 3: at column 32, a comma before '}' (line 4): expected another "
	    "\"name\": value after it (JSON has no comma after the last member)") == 0,
	    "strict: trailing comma in an object named at the comma (%s)", why);
	o = json_parse_strict("[1, 2,]", 7, why, sizeof why);
	ok(!o && strncmp(why, "line 1: at column 6, a comma before ']': expected another value", 63) == 0,
	    "strict: trailing comma in an array (%s)", why);
	o = json_parse_strict("{\"\xc3\xa9\": x}", 9, why, sizeof why);
	ok(!o && strncmp(why, "line 1: at column 7, 'x': expected a value", 42) == 0,
	    "strict: column counts characters, and says what was expected (%s)", why);
	o = json_parse_strict("{\"a\" 1}", 7, why, sizeof why);
	ok(!o && strcmp(why, "line 1: at column 6, '1': expected ':' after the name") == 0,
	    "strict: a missing colon (%s)", why);
	o = json_parse_strict("{} {}", 5, why, sizeof why);
	ok(!o, "strict: two documents refused");
	ok(strncmp(why, "line 1: ", 8) == 0, "strict: trailing data (%s)", why);
	o = json_parse_strict("  \n", 3, why, sizeof why);
	ok(!o && strcmp(why, "empty document") == 0, "strict: empty");
	o = json_parse_strict("{\"a\":\"\\u00e9\"}\n", 15, why, sizeof why);
	ok(o != NULL, "strict: a good document");
	json_object_put(o);

	/* what json-c's strict mode accepts and RFC 8259 does not */
	static const struct { const char *doc, *why; } lax[] = {
		{"{'a': 1}", "a single quote"},
		{"{\"a\": \"x\ny\"}", "a control character inside a string"},
		{"{\"a\": \"x\ty\"}", "a control character inside a string"},
		{"{\"a\": 1.}", "a number that ends in '.'"},
		{"[1., 2]", "a number that ends in '.'"},
		{"{\"a\": \"\\u0000\"}", "\\u0000"},
	};
	for (size_t i = 0; i < sizeof lax / sizeof lax[0]; i++) {
		o = json_parse_strict(lax[i].doc, strlen(lax[i].doc), why, sizeof why);
		ok(!o && strstr(why, lax[i].why) && strstr(why, "column"), "strict: %s refused (%s)",
		    lax[i].why, why);
		json_object_put(o);
	}
	static const char *const fine[] = {
		"{\"a\": \"it's\"}", "{\"a\": \"1.\"}", "{\"a\": 1.5e3}", "{\"a\": \"\\\\u0000\"}",
		"{\"a\": \"q\\\"'\"}",
	};
	for (size_t i = 0; i < sizeof fine / sizeof fine[0]; i++) {
		o = json_parse_strict(fine[i], strlen(fine[i]), why, sizeof why);
		ok(o != NULL, "strict: %s accepted", fine[i]);
		json_object_put(o);
	}
	f = tmpfile();
	fputs("{'a':1}\n{\"a\":\"x\ty\"}\n{\"a\":2}\n", f);
	rewind(f);
	struct ndjson_reader *lr = ndjson_open(f, "lax");
	json_object *rec = NULL;
	int r1 = ndjson_next(lr, &rec), r2 = ndjson_next(lr, &rec), r3 = ndjson_next(lr, &rec);
	ok(r1 == NDJSON_BAD && r2 == NDJSON_BAD && r3 == NDJSON_RECORD, "ndjson: lax lines are bad lines, the next is read");
	json_object_put(rec);
	ndjson_close(lr);
	fclose(f);

	o = json_tokener_parse("{\"b\":[1,{\"z\":1,\"a\":\"/\"}],\"a\":null}");
	char *c = json_canonical(o);
	is_str(c, "{\"a\":null,\"b\":[1,{\"a\":\"/\",\"z\":1}]}", "canonical: sorted, compact, slashes kept");
	free(c);
	json_object_put(o);
	o = ndjson_error_record("a.mp4", "c1", "bad");
	f = tmpfile();
	ok(ndjson_write(f, o) == 0, "write");
	rewind(f);
	char line[128] = "";
	ok(fgets(line, sizeof line, f) != NULL, "read back");
	is_str(line, "{\"video\":\"a.mp4\",\"clip\":\"c1\",\"error\":\"bad\"}\n", "error record");
	ok(ndjson_is_error(o) && !ndjson_is_summary(o), "is_error");
	fclose(f);
	json_object_put(o);
	return tap_done();
}
