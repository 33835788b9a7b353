/* Unit tests from the review of config.c, tags.c, timefmt.c and ndjson.c,
 * and the regression inputs that tests/fuzz found (each names its target). */
#include "tap.h"
#include "atomic.h"
#include "config.h"
#include "hash.h"
#include "ndjson.h"
#include "sidecar.h"
#include "tags.h"
#include "timefmt.h"
#include "util.h"

#include <stdlib.h>
#include <unistd.h>

static struct config cfg;
static char errfile[64];

/* config_load on text with flags; "" when it loads, else its message
 * without the file */
static const char *load_flags(const char *root, const char *text, int flags)
{
	static char err[1024];
	char *p = path_join(root, BACKYARD_CONFIG);
	if (atomic_write(p, text, strlen(text), 0644) < 0)
		mdie(1, "%s: cannot write", p);
	free(p);
	fflush(stderr);
	if (!freopen(errfile, "w", stderr))
		mdie(1, "%s: cannot open", errfile);
	int r = config_load(root, flags, &cfg);
	fflush(stderr);
	FILE *rd = fopen(errfile, "r");
	err[0] = '\0';
	if (rd) {
		if (!fgets(err, sizeof err, rd))
			err[0] = '\0';
		fclose(rd);
	}
	err[strcspn(err, "\n")] = '\0';
	if (r == 0)
		return "";
	config_free(&cfg);
	const char *m = strstr(err, BACKYARD_CONFIG ": ");
	return m ? m + strlen(BACKYARD_CONFIG ": ") : err;
}

static const char *load(const char *root, const char *text)
{
	return load_flags(root, text, 0);
}

/* json_parse_strict: "" when it parses, else why */
static const char *strict(const char *text, size_t len)
{
	static char why[256];
	json_object *o = json_parse_strict(text, len, why, sizeof why);
	if (!o)
		return why;
	json_object_put(o);
	return "";
}
#define STRICT(s) strict(s, sizeof(s) - 1)

/* the statuses ndjson_next returns for text, as a string ("R" record, "B"
 * bad line, then "E" at the end) */
static const char *records(const char *text)
{
	static char out[64];
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	struct ndjson_reader *r = ndjson_open(f, "t");
	size_t n = 0;
	json_object *o;
	int st;
	do {
		st = ndjson_next(r, &o);
		out[n++] = st == NDJSON_RECORD ? 'R' : st == NDJSON_BAD ? 'B' : st == NDJSON_EOF ? 'E' : 'X';
		json_object_put(o);
	} while (st != NDJSON_EOF && st != NDJSON_IOERR && n < sizeof out - 1);
	out[n] = '\0';
	ndjson_close(r);
	fclose(f);
	return out;
}

/* tag_value_from_string as JSON text, or "!" + why */
static const char *from_string(const char *tag, const char *s)
{
	static char out[256];
	char why[200];
	json_object *v = tag_value_from_string(config_tag(&cfg, tag), s, why, sizeof why);
	if (!v) {
		snprintf(out, sizeof out, "!%s", why);
		return out;
	}
	snprintf(out, sizeof out, "%s", json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
	json_object_put(v);
	return out;
}

int main(void)
{
	if (hash_init() < 0)
		return 1;
	char tmpl[] = "/tmp/medusa-config.XXXXXX";
	if (!mkdtemp(tmpl))
		return 1;
	snprintf(errfile, sizeof errfile, "%s/err", tmpl);

	/* strict JSON: what json-c takes but no other reader does */
	is_str(STRICT("{\"a\": 1}"), "", "plain JSON parses");
	is_str(STRICT("{\"a\": NaN}"), "NaN or Infinity: not a JSON number", "NaN refused");
	is_str(STRICT("[1, Infinity]"), "NaN or Infinity: not a JSON number", "Infinity refused");
	is_str(STRICT("{\"a\": {\"b\": [-Infinity]}}"), "NaN or Infinity: not a JSON number", "nested -Infinity refused");
	is_str(STRICT("{\"a\": \"x\\u0000y\"}"), "line 1: at column 9, \\u0000 (a NUL character) in a string", "\\u0000 in a value refused");
	is_str(STRICT("{\n\"k\\u0000\": 1}"), "line 2: at column 3, \\u0000 (a NUL character) in a string", "\\u0000 in a key refused, with its line");
	is_str(STRICT("{\"a\": \"x\\\\u0000\"}"), "", "an escaped backslash before u0000 is plain text");
	is_str(STRICT("{\"a\": \"\\u00e9\"}"), "", "other escapes are fine");
	{
		const char *w = STRICT("{\"a\": \"\xff\xfe\"}");
		ok(strstr(w, "line 1:") && strstr(w, "utf-8"), "invalid UTF-8 refused: %s", w);
		w = STRICT("{\"a\": \"\xc0\xaf\"}");
		is_str(w, "a string is not valid UTF-8", "overlong UTF-8 refused");
	}
	is_str(STRICT("{\"a\": \"日本語 ✓\"}"), "", "UTF-8 text parses");
	{
		char w[128];
		json_object *o = json_parse_strict("[\"\\ud800\"]", 10, w, sizeof w);
		ok(!o || utf8_valid(json_object_get_string(json_object_array_get_idx(o, 0))),
		    "a lone surrogate escape is refused or replaced, never kept as bad UTF-8");
		json_object_put(o);
	}
	is_str(STRICT("{\"\xc0\xaf\": 1}"), "a name is not valid UTF-8", "an overlong name refused");
	is_str(STRICT("{\"a\": \"\\ud83c\\udfac\"}"), "", "a surrogate pair is fine");
	/* fuzz-json: NaN went into a sidecar and sidecar_format wrote it back */
	is_str(STRICT("{\"clips\": [{\"start\": NaN, \"end\": \"1:0~\"}, {\"ste\": {\"kind\": null}}]}"),
	    "NaN or Infinity: not a JSON number", "fuzz-json crash 358a8db4: NaN time");

	/* NDJSON records: the same rules, bad lines skipped, reading goes on */
	fflush(stderr);
	if (!freopen(errfile, "w", stderr))
		return 1;
	is_str(records("{\"a\":1}\n{\"a\":NaN}\n{\"b\":2}\n"), "RBRE", "a NaN record is a bad line");
	is_str(records("{\"a\":\"\xff\"}\n{\"b\":2}\n"), "BRE", "an invalid UTF-8 record is a bad line");
	is_str(records("{\"a\":\"\\u0000\"}\n{\"b\":2}\n"), "BRE", "a \\u0000 record is a bad line");
	is_str(records("{\"a\":\"\\\\u0000\"}\n"), "RE", "an escaped backslash is fine");
	is_str(records("\n  \n{}\n"), "RE", "blank lines skipped");
	/* fuzz-ndjson crash fe0dcc87: the lenient tokener read 0e as 0.0 */
	is_str(records("{\"\":0e}\n{\"a\":1}\n"), "BRE", "fuzz-ndjson crash fe0dcc87: 0e is not a number");
	is_str(records("{\"a\":[1,]}\n{\"a\":01}\n{\"a\":.5}\n"), "BBBE", "trailing commas, leading zeros, bare fractions refused");
	is_str(records("{\"a\":1} \t\r\n"), "RE", "trailing spaces and a CR are fine");

	/* config review */
	is_str(load(tmpl, "{\"frontyard\": {\"dri\": \"x\"}}"),
	    "frontyard.dri: unknown field (known: dir, storage, metastore, workdir, url, where)",
	    "an unknown frontyard field is named with its path");
	is_str(load(tmpl, "{\"frontyard\": {\"storage\": 5}}"), "frontyard.storage: must be a non-empty string",
	    "a frontyard field of the wrong type");
	is_str(load(tmpl, "{\"frontyard\": \"x\"}"), "frontyard: must be an object", "frontyard not an object");
	is_str(load(tmpl, "{\"extensions\": [\"mp4\", \"dv.MKV\"]}"), "", "an extension with a dot");
	ok(config_is_video(&cfg, "a.dv.mkv") && !config_is_video(&cfg, "a.mkv") &&
	    config_is_video(&cfg, "b.MP4") && !config_is_video(&cfg, ".mp4") &&
	    !config_is_video(&cfg, "mp4") && !config_is_video(&cfg, "a.xmp4"),
	    "extensions match by suffix after a dot, never a bare dot name");
	config_free(&cfg);
	/* a profile's encoders are looked up only for a tool that encodes */
	{
		const char *p = "{\"profiles\": {\"x\": {\"kind\": \"video\", \"encoder\": \"no-such-enc\"}}}";
		is_str(load(tmpl, p), "", "without CONFIG_ENCODERS an encoder is not looked up");
		config_free(&cfg);
		const char *w = load_flags(tmpl, p, CONFIG_ENCODERS);
		ok(strstr(w, "profiles.x.encoder: encoder \"no-such-enc\" is not in this libavcodec") == w,
		    "with CONFIG_ENCODERS a missing encoder is named: %s", w);
		is_str(load_flags(tmpl, "{\"profiles\": {\"x\": {\"kind\": \"video\"}}}", CONFIG_ENCODERS), "",
		    "with CONFIG_ENCODERS libx264 is found");
		ok(cfg.nprofiles == 1 && cfg.profiles[0].check_encoders, "the profile keeps that it was checked");
		config_free(&cfg);
	}
	is_str(load(tmpl, "{\"extensions\": [\"mp4.\"]}"), "extensions[0]: not a file extension", "a trailing dot");
	is_str(load(tmpl, "{\"extensions\": [\".\"]}"), "extensions[0]: not a file extension", "a lone dot");
	is_str(load(tmpl, "{\"extensions\": []}"), "extensions: must be a non-empty array of strings", "no extensions");
	is_str(load(tmpl, "{\"tags\": {\"x\": {\"type\": \"string\", \"default\": \"\\u0000\"}}}"),
	    "malformed JSON: line 1: at column 47, \\u0000 (a NUL character) in a string", "a config with \\u0000");
	is_str(load(tmpl, "{\"tags\": {\"r\": {\"type\": \"number\", \"default\": NaN}}}"),
	    "malformed JSON: NaN or Infinity: not a JSON number", "a config with NaN");
	is_str(load(tmpl, "{\"tags\": {\"k\": {\"type\": \"enum\", \"values\": [\"a\", 1]}}}"),
	    "tags.k: values[1]: must be a string", "an enum value of the wrong type");
	is_str(load(tmpl, "{\"tags\": {\"k\": {\"type\": \"string\", \"values\": [\"a\"]}}}"),
	    "tags.k: values: only an enum has values", "values on a string tag");
	is_str(load(tmpl, "{\"tags\": {\"k\": {\"type\": \"list\", \"required\": 1}}}"),
	    "tags.k: required: must be true or false", "required not a boolean");
	is_str(load(tmpl, "{\"tags\": {\"k\": null}}"), "tags.k: a tag definition must be an object", "a null tag");
	is_str(load(tmpl, "[]"), "(top): the config must be a JSON object", "a config that is an array");

	/* tags review: values from the command line */
	is_str(load(tmpl, "{\"tags\": {\"i\": {\"type\": \"integer\"}, \"n\": {\"type\": \"number\"},"
	    "\"l\": {\"type\": \"list\"}, \"s\": {\"type\": \"string\"}, \"e\": {\"type\": \"enum\", \"values\": [\"a\", \"b\"]},"
	    "\"b\": {\"type\": \"boolean\"}}}"), "", "a config with every type");
	is_str(from_string("i", "42"), "42", "integer");
	is_str(from_string("i", "-7"), "-7", "negative integer");
	is_str(from_string("i", " 5"), "!\" 5\" is not an integer", "a leading space is not an integer");
	is_str(from_string("i", "5 "), "!\"5 \" is not an integer", "a trailing space is not an integer");
	is_str(from_string("i", "99999999999999999999"), "!\"99999999999999999999\" is out of range for an integer",
	    "integer overflow says so");
	is_str(from_string("n", "0.1"), "0.1", "0.1 stays 0.1 (not 0.10000000000000001)");
	is_str(from_string("n", "5"), "5.0", "a whole number stays a number");
	is_str(from_string("n", "1e3"), "1000.0", "an exponent, written plainly");
	is_str(from_string("n", "1e20"), "1e+20", "a big number keeps its exponent");
	is_str(from_string("n", "-2.5"), "-2.5", "negative number");
	is_str(from_string("n", "0x10"), "!\"0x10\" is not a number", "hex refused");
	is_str(from_string("n", "inf"), "!\"inf\" is not a number", "inf refused");
	is_str(from_string("n", "nan"), "!\"nan\" is not a number", "nan refused");
	is_str(from_string("n", ""), "!\"\" is not a number", "empty refused");
	is_str(from_string("l", "alice, bob ,,carol"), "[\"alice\",\"bob\",\"carol\"]", "list items trimmed, empties dropped");
	is_str(from_string("l", ""), "[]", "an empty list");
	is_str(from_string("s", "x\xff"), "!the value is not valid UTF-8", "a string that is not UTF-8");
	is_str(from_string("l", "a,\xff"), "!the value is not valid UTF-8", "a list that is not UTF-8");
	is_str(from_string("e", "c"), "!\"c\" is not one of a, b", "enum names its values");
	is_str(from_string("b", "yes"), "true", "yes is true");
	is_str(from_string("b", "maybe"), "!\"maybe\" is not true or false", "maybe is not a boolean");
	{
		char why[128];
		json_object *v = json_object_new_string_len("a\0b", 3);
		ok(tag_value_check(config_tag(&cfg, "s"), v, why, sizeof why) < 0 &&
		    strcmp(why, "must be UTF-8 text without NUL characters") == 0, "a string holding a NUL is refused");
		json_object_put(v);
		json_object *l = json_object_new_array();
		json_object_array_add(l, json_object_new_string("ok"));
		json_object_array_add(l, json_object_new_string("\xc3"));
		ok(tag_value_check(config_tag(&cfg, "l"), l, why, sizeof why) < 0 &&
		    strcmp(why, "item 1 must be UTF-8 text without NUL characters") == 0, "a list item that is not UTF-8");
		json_object_put(l);
	}
	config_free(&cfg);

	/* timefmt review */
	char buf[40];
	is_str(time_format(0, buf, sizeof buf), "00:00:00.000", "format 0");
	is_str(time_format(-1500, buf, sizeof buf), "-00:00:01.500", "a negative time keeps one sign");
	json_object *j = time_to_json(-1500);
	is_str(json_object_to_json_string(j), "-1.5", "negative seconds as JSON");
	json_object_put(j);
	j = time_to_json(1);
	is_str(json_object_to_json_string(j), "0.001", "one millisecond");
	json_object_put(j);
	long long ms = -1;
	const char *why = NULL;
	ok(time_parse("100:00:00", &ms, &why) == 0 && ms == 360000000LL, "100 hours");
	ok(time_parse("2400:00:00", &ms, &why) == 0 && ms == 2400LL * 3600000, "100 days, the limit");
	ok(time_parse("2400:00:01", &ms, &why) < 0 && strcmp(why, "time too large") == 0, "past the limit");
	ok(time_parse("99999999999999999999999", &ms, &why) < 0 && strcmp(why, "time too large") == 0,
	    "a huge number does not overflow");
	ok(time_parse("60:00", &ms, &why) == 0 && ms == 3600000, "MM:SS with 60 minutes");
	ok(time_parse("1:60", &ms, &why) < 0 && strcmp(why, "seconds must be below 60") == 0, "60 seconds");
	ok(time_parse("1:60:00", &ms, &why) < 0 && strcmp(why, "minutes must be below 60") == 0, "60 minutes");
	ok(time_parse("1.", &ms, &why) < 0 && strcmp(why, "expected a digit after '.'") == 0, "a dot without digits");
	ok(time_parse(".5", &ms, &why) < 0, "no digit before the dot");
	ok(time_parse("1::2", &ms, &why) < 0, "an empty field");
	ok(time_parse(" 1:02 ", &ms, &why) == 0 && ms == 62000, "spaces around are fine");
	ok(time_parse("+1", &ms, &why) < 0, "a plus sign refused");
	j = json_object_new_double(1e300);
	ok(time_parse_json(j, &ms, &why) < 0 && strcmp(why, "time too large") == 0, "1e300 seconds");
	json_object_put(j);
	j = json_object_new_double(-0.0);
	ok(time_parse_json(j, &ms, &why) == 0 && ms == 0, "-0.0 is zero");
	json_object_put(j);
	j = json_object_new_double(0.30000000000000004);
	ok(time_parse_json(j, &ms, &why) == 0 && ms == 300, "a float from arithmetic rounds to the millisecond");
	json_object_put(j);
	j = json_object_new_boolean(1);
	ok(time_parse_json(j, &ms, &why) < 0, "a boolean is not a time");
	json_object_put(j);
	ok(time_parse_json(NULL, &ms, &why) < 0, "null is not a time");

	unlink(errfile);
	char *p = path_join(tmpl, BACKYARD_CONFIG);
	unlink(p);
	free(p);
	ok(rmdir(tmpl) == 0, "nothing left behind");
	return tap_done();
}
