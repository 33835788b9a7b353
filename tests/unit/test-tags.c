#include "tap.h"
#include "atomic.h"
#include "config.h"
#include "hash.h"
#include "tags.h"
#include "util.h"

#include <stdlib.h>

static struct config cfg;

static const char *load(const char *root, const char *text)
{
	static char err[1024];
	char *p = path_join(root, BACKYARD_CONFIG);
	atomic_write(p, text, strlen(text), 0644);
	free(p);
	/* config_load reports on stderr: catch it */
	fflush(stderr);
	FILE *e = freopen("/tmp/medusa-test-tags.err", "w", stderr);
	int r = config_load(root, 0, &cfg);
	fflush(stderr);
	(void)e;
	FILE *rd = fopen("/tmp/medusa-test-tags.err", "r");
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

int main(void)
{
	if (hash_init() < 0)
		return 1;
	char tmpl[] = "/tmp/medusa-tags.XXXXXX";
	if (!mkdtemp(tmpl))
		return 1;
	is_str(load(tmpl, "{\"tags\":{\"x\":{\"type\":\"strin\"}}}"),
	    "tags.x: type: must be one of string, integer, number, boolean, enum, list", "bad type");
	is_str(load(tmpl, "{\"tags\":{\"x\":{\"type\":\"enum\"}}}"), "tags.x: values: an enum needs its values", "enum without values");
	is_str(load(tmpl, "{\"tags\":{\"x\":{\"type\":\"integer\",\"default\":\"1\"}}}"), "tags.x: default: must be an integer", "bad default");
	is_str(load(tmpl, "{\"tags\":{\"1x\":{\"type\":\"string\"}}}"),
	    "tags.1x: a tag name is a letter or '_' then letters, digits, '_' or '-'", "bad name");
	is_str(load(tmpl, "{\"tags\":{\"sort\":{\"type\":\"string\"}}}"),
	    "tags.sort: \"sort\" is reserved (a query parameter of the API)", "reserved name");
	is_str(load(tmpl, "{\"tag\":{}}"), "tag: unknown field", "unknown top field");
	is_str(load(tmpl, "{\"extensions\":[\"MP4\", \".Mov\"]}"), "", "extensions");
	ok(config_is_video(&cfg, "a.mp4") && config_is_video(&cfg, "b.MOV") && !config_is_video(&cfg, "c.mkv"),
	    "extensions lowercased, dot dropped, matched in any case");
	config_free(&cfg);

	is_str(load(tmpl, config_example), "", "the example config loads");
	const struct tagdef *kind = config_tag(&cfg, "kind"), *people = config_tag(&cfg, "people"),
	    *rating = config_tag(&cfg, "rating"), *pub = config_tag(&cfg, "public");
	char why[256];
	json_object *v = tag_value_from_string(people, "Ann,,Bo", why, sizeof why);
	is_str(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN), "[\"Ann\",\"Bo\"]", "list from a string");
	json_object_put(v);
	ok(!tag_value_from_string(rating, "4.5", why, sizeof why), "4.5 is not an integer");
	ok(!tag_value_from_string(kind, "work", why, sizeof why), "enum checked");
	v = tag_value_from_string(pub, "yes", why, sizeof why);
	ok(v && json_object_get_boolean(v), "yes is true");
	json_object_put(v);
	json_object *t = json_tokener_parse("{\"kind\":\"travel\",\"people\":[\"a\",1]}");
	ok(tags_check_partial(&cfg, t, why, sizeof why) < 0, "list item checked");
	is_str(why, "tag \"people\": item 1 must be a string", "list item message");
	json_object_put(t);
	t = json_tokener_parse("{\"kind\":null}");
	ok(tags_check_partial(&cfg, t, why, sizeof why) == 0, "null is fine in a layer");
	ok(tags_check_complete(&cfg, t, why, sizeof why) < 0, "but not as an effective value");
	json_object_put(t);
	config_free(&cfg);

	char etag[ETAG_LEN + 1];
	hash_etag("", 0, etag);
	is_str(etag, "cae66941d9efbd404e4d88758ea67670", "etag of no bytes is BLAKE2b-128 of nothing");
	char id[CLIP_ID_LEN + 1], id2[CLIP_ID_LEN + 1];
	clip_id_derived("a/b.mp4", 1000, 2000, id);
	clip_id_derived("a/b.mp4", 1000, 2000, id2);
	ok(strcmp(id, id2) == 0 && strlen(id) == CLIP_ID_LEN && clip_id_valid(id), "derived ids are stable and valid");
	clip_id_derived("a/b.mp4", 1000, 2001, id2);
	ok(strcmp(id, id2) != 0, "and change with the times");
	ok(!clip_id_valid("") && !clip_id_valid("a b") && !clip_id_valid("../x") && clip_id_valid("A_b-1"), "id syntax");

	char *cmd = xasprintf("rm -rf '%s' /tmp/medusa-test-tags.err", tmpl);
	ok(system(cmd) == 0, "cleanup");
	free(cmd);
	return tap_done();
}
