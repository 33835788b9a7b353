/* libFuzzer target: json_parse_strict, then sidecar_validate and
 * sidecar_folder_validate against the example tag set, sidecar_assign_ids and
 * sidecar_format. Checks beyond "no crash": what sidecar_format writes parses
 * back, strictly, to an equal document (medusa-meta writes it to disk). */
#include "atomic.h"
#include "config.h"
#include "hash.h"
#include "ndjson.h"
#include "sidecar.h"
#include "tags.h"
#include "util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct config cfg;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char tmpl[] = "/tmp/medusa-fuzz.XXXXXX";
	if (!mkdtemp(tmpl) || hash_init() < 0)
		abort();
	char *p = path_join(tmpl, BACKYARD_CONFIG);
	if (atomic_write(p, config_example, strlen(config_example), 0644) < 0 ||
	    config_load(tmpl, 0, &cfg) < 0)
		abort();
	unlink(p);
	rmdir(tmpl);
	free(p);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char why[512];
	json_object *doc = json_parse_strict((const char *)data, size, why, sizeof why);
	if (!doc)
		return 0;
	int valid = sidecar_validate(&cfg, doc, 60000, why, sizeof why) == 0;
	if (valid)
		sidecar_assign_ids(doc, "a/b.mp4", 1);
	(void)sidecar_folder_validate(&cfg, doc, why, sizeof why);
	size_t len;
	char *text = sidecar_format(doc, &len);
	if (strlen(text) != len)
		abort();
	json_object *back = json_parse_strict(text, len, why, sizeof why);
	if (!back) {
		fprintf(stderr, "sidecar_format wrote what does not parse back: %s\n%s", why, text);
		abort();
	}
	if (!json_object_equal(doc, back)) {
		fprintf(stderr, "sidecar_format changed the document:\n%s", text);
		abort();
	}
	/* what was valid, with its ids given, stays valid as written */
	if (valid && sidecar_validate(&cfg, back, 60000, why, sizeof why) < 0) {
		fprintf(stderr, "valid, then invalid once written (%s):\n%s", why, text);
		abort();
	}
	/* a tag value typed on the command line comes out valid or refused */
	for (size_t i = 0; i < cfg.ntags; i++) {
		char *arg = strndup((const char *)data, size);
		if (!arg)
			break;
		json_object *v = tag_value_from_string(&cfg.tags[i], arg, why, sizeof why);
		if (v && tag_value_check(&cfg.tags[i], v, why, sizeof why) < 0) {
			fprintf(stderr, "tag %s: \"%s\" parsed to an invalid value: %s\n", cfg.tags[i].name, arg, why);
			abort();
		}
		json_object_put(v);
		free(arg);
	}
	json_object_put(back);
	free(text);
	json_object_put(doc);
	return 0;
}
