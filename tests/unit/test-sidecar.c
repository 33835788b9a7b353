#include "tap.h"
#include "atomic.h"
#include "config.h"
#include "ndjson.h"
#include "sidecar.h"
#include "tags.h"
#include "util.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static struct config cfg;

static json_object *parse(const char *s)
{
	return json_tokener_parse(s);
}

/* validates s as a sidecar; returns the message or "" */
static const char *val(const char *s, long long dur)
{
	static char why[512];
	json_object *d = parse(s);
	if (!d)
		return "(test JSON broken)";
	why[0] = '\0';
	if (sidecar_validate(&cfg, d, dur, why, sizeof why) == 0)
		why[0] = '\0';
	json_object_put(d);
	return why;
}

static void write_file(const char *path, const char *text)
{
	if (atomic_write(path, text, strlen(text), 0644) < 0)
		mdie(1, "%s: cannot write", path);
}

int main(void)
{
	if (hash_init() < 0)
		return 1;
	char tmpl[] = "/tmp/medusa-sidecar.XXXXXX";
	if (!mkdtemp(tmpl))
		return 1;
	char *root = realpath(tmpl, NULL);
	char *cpath = path_join(root, BACKYARD_CONFIG);
	write_file(cpath, config_example);
	ok(config_load(root, 0, &cfg) == 0, "example config loads");

	is_str(val("{\"tags\":{\"place\":\"Kyoto\"},\"clips\":[{\"start\":\"00:01:02.5\",\"end\":75,\"tags\":{\"rating\":4}}]}", -1),
	    "", "the DESIGN example is valid");
	is_str(val("{}", -1), "", "an empty sidecar is valid");
	is_str(val("[]", -1), "the sidecar must be a JSON object", "not an object");
	is_str(val("{\"clip\":[]}", -1), "clip: unknown field", "unknown top field");
	is_str(val("{\"tags\":{\"colour\":\"red\"}}", -1),
	    "tags.colour: unknown tag \"colour\" (not in backyard.medusa.json)", "unknown tag");
	is_str(val("{\"tags\":{\"rating\":\"4\"}}", -1), "tags.rating: must be an integer", "wrong type");
	is_str(val("{\"tags\":{\"kind\":\"work\"}}", -1),
	    "tags.kind: \"work\" is not one of family, travel, nature, other", "enum value");
	is_str(val("{\"tags\":{\"rating\":null}}", -1), "", "null inherits");
	is_str(val("{\"clips\":{}}", -1), "clips: must be an array of clips", "clips not an array");
	is_str(val("{\"clips\":[{\"start\":5}]}", -1), "clips[0].end: required", "end missing");
	is_str(val("{\"clips\":[{\"start\":1,\"end\":2},{\"start\":5,\"end\":3}]}", -1),
	    "clips[1].end: 00:00:03.000 is not after the start 00:00:05.000", "end before start");
	is_str(val("{\"clips\":[{\"start\":5,\"end\":5}]}", -1),
	    "clips[0].end: 00:00:05.000 is not after the start 00:00:05.000", "empty clip");
	is_str(val("{\"clips\":[{\"start\":-1,\"end\":5}]}", -1), "clips[0].start: negative time", "negative time");
	is_str(val("{\"clips\":[{\"start\":\"99:99\",\"end\":5}]}", -1),
	    "clips[0].start: seconds must be below 60", "99:99");
	is_str(val("{\"clips\":[{\"start\":true,\"end\":5}]}", -1),
	    "clips[0].start: a time must be a number of seconds or a \"[HH:]MM:SS[.fff]\" string", "boolean time");
	is_str(val("{\"clips\":[{\"start\":0,\"end\":3}]}", 2000),
	    "clips[0].end: 00:00:03.000 is past the end of the video (00:00:02.000)", "past the end");
	is_str(val("{\"clips\":[{\"start\":0,\"end\":2}]}", 2000), "", "up to the end is fine");
	is_str(val("{\"clips\":[{\"start\":0,\"end\":2,\"tags\":{\"public\":1}}]}", -1),
	    "clips[0].tags.public: must be true or false", "clip tag wrong type");
	is_str(val("{\"clips\":[{\"start\":0,\"end\":2,\"title\":\"x\"}]}", -1),
	    "clips[0].title: unknown field", "unknown clip field");
	is_str(val("{\"clips\":[{\"id\":\"a b\",\"start\":0,\"end\":2}]}", -1),
	    "clips[0].id: must be 1 to 64 of A-Z a-z 0-9 _ -", "bad id");
	is_str(val("{\"clips\":[{\"id\":\"x\",\"start\":0,\"end\":2},{\"id\":\"x\",\"start\":1,\"end\":2}]}", -1),
	    "clips[1].id: \"x\" is already the id of clips[0]", "duplicate id");

	/* ids */
	json_object *d = parse("{\"clips\":[{\"start\":1,\"end\":2},{\"start\":1,\"end\":2},{\"id\":\"keep\",\"start\":0,\"end\":1}]}");
	sidecar_assign_ids(d, "a/b.mp4", 1);
	json_object *clips = json_object_object_get(d, "clips");
	const char *id0 = jstr(json_object_array_get_idx(clips, 0), "id");
	const char *id1 = jstr(json_object_array_get_idx(clips, 1), "id");
	char want[CLIP_ID_LEN + 1];
	clip_id_derived("a/b.mp4", 1000, 2000, want);
	is_str(id0, want, "derived id from path and times");
	ok(id1 && strcmp(id0, id1) != 0, "same times get distinct ids");
	is_str(jstr(json_object_array_get_idx(clips, 2), "id"), "keep", "existing id kept");
	char why[512];
	ok(sidecar_validate(&cfg, d, -1, why, sizeof why) == 0, "assigned ids validate");
	json_object_put(d);

	/* read and write */
	char *a = path_join(root, "a");
	mkdir(a, 0755);
	char *sc = path_join(a, "b.mp4.medusa.json");
	struct sidecar_file m;
	ok(sidecar_read(sc, &m, why, sizeof why) == 0 && !m.exists, "missing sidecar reads as empty");
	is_str(json_object_to_json_string_ext(m.doc, JSON_C_TO_STRING_PLAIN), "{\"tags\":{},\"clips\":[]}", "empty doc");
	char empty[ETAG_LEN + 1];
	hash_etag("", 0, empty);
	is_str(m.etag, empty, "etag of no bytes");
	d = parse("{\"clips\":[{\"start\":1,\"end\":2}]}");
	char e1[ETAG_LEN + 1], e2[ETAG_LEN + 1];
	ok(sidecar_write(sc, d, "0123", e1) == 1, "stale etag refused on a new file");
	struct stat st;
	ok(stat(sc, &st) < 0, "and nothing written");
	ok(sidecar_write(sc, d, m.etag, e1) == 0, "write with the etag of no bytes");
	sidecar_file_free(&m);
	ok(sidecar_read(sc, &m, why, sizeof why) == 0 && m.exists, "read back");
	is_str(m.etag, e1, "etag matches the write");
	ok(sidecar_write(sc, d, empty, e2) == 1, "stale etag refused");
	ok(sidecar_write(sc, d, e1, e2) == 0, "current etag accepted");
	ok(sidecar_write(sc, d, NULL, NULL) == 0, "no etag: unconditional");
	sidecar_file_free(&m);
	json_object_put(d);
	write_file(sc, "{\"clips\": [\n  {\"start\": 1,}\n]}\n");
	ok(sidecar_read(sc, &m, why, sizeof why) < 0, "malformed sidecar");
	ok(strncmp(why, "malformed JSON: line 2:", 23) == 0, "message names the line: %s", why);
	ok(m.etag[0] != '\0', "etag still set for a broken file");
	sidecar_file_free(&m);

	/* layers */
	char *fa = path_join(a, FOLDER_META);
	char *froot = path_join(root, FOLDER_META);
	write_file(froot, "{\"tags\":{\"place\":\"Home\",\"rating\":1}}");
	write_file(fa, "{\"tags\":{\"place\":\"Kyoto\"}}");
	d = parse("{\"tags\":{\"kind\":\"travel\"}}");
	struct tag_layer *layers;
	size_t nl;
	json_object *owned;
	ok(sidecar_video_layers(&cfg, "a/b.mp4", d, &layers, &nl, &owned, why, sizeof why) == 0, "layers");
	ok(nl == 3, "root folder, a, video: %zu", nl);
	is_str(layers[0].source, "folder:.", "root layer");
	is_str(layers[1].source, "folder:a", "folder layer");
	is_str(layers[2].source, "video", "video layer");
	json_object *ct = parse("{\"rating\":5}");
	layers[nl].source = "clip";
	layers[nl].tags = ct;
	json_object *srcs;
	json_object *eff = tags_effective(&cfg, layers, nl + 1, &srcs);
	is_str(json_object_to_json_string_ext(eff, JSON_C_TO_STRING_PLAIN),
	    "{\"rating\":5,\"kind\":\"travel\",\"public\":false,\"place\":\"Kyoto\"}", "effective tags");
	is_str(jstr(srcs, "place"), "folder:a", "place from folder a");
	is_str(jstr(srcs, "public"), "default", "public from default");
	json_object_put(eff);
	json_object_put(srcs);
	json_object_put(ct);
	free(layers);
	json_object_put(owned);
	write_file(fa, "{\"tags\":{\"rating\":\"x\"}}");
	ok(sidecar_video_layers(&cfg, "a/b.mp4", d, &layers, &nl, &owned, why, sizeof why) < 0, "bad folder file");
	is_str(why, "a/folder.medusa.json: tags.rating: must be an integer", "names the folder file");
	write_file(froot, "{");
	ok(sidecar_video_layers(&cfg, "x.mp4", NULL, &layers, &nl, &owned, why, sizeof why) < 0, "broken root folder file");
	is_str(why, "folder.medusa.json: malformed JSON: line 1: unexpected end of document", "names it");
	write_file(froot, "{}");
	char *outside = xasprintf("%s.outside.json", root);
	write_file(outside, "{\"tags\":{}}");
	unlink(fa);
	ok(symlink(outside, fa) == 0, "folder file as a symlink out");
	ok(sidecar_video_layers(&cfg, "a/b.mp4", d, &layers, &nl, &owned, why, sizeof why) < 0, "refused");
	is_str(why, "a/folder.medusa.json: a symbolic link leads out of the backyard", "and named");
	unlink(outside);
	free(outside);
	json_object_put(d);

	config_free(&cfg);
	char *cmd = xasprintf("rm -rf '%s'", root);
	ok(system(cmd) == 0, "cleanup");
	free(cmd);
	free(root); free(cpath); free(a); free(sc); free(fa); free(froot);
	return tap_done();
}
