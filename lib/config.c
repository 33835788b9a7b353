/* Loading backyard.medusa.json. */
#include "config.h"
#include "atomic.h"
#include "ndjson.h"
#include "profile.h"
#include "tags.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *default_exts[] = {
	"mp4", "m4v", "mov", "mkv", "webm", "avi", "ts", "mts", "m2ts", "mpg", "mpeg",
	"wmv", "flv", "3gp", "ogv",
};

const char config_example[] =
"{\n"
"  \"tags\": {\n"
"    \"place\":  {\"type\": \"string\"},\n"
"    \"people\": {\"type\": \"list\"},\n"
"    \"rating\": {\"type\": \"integer\", \"default\": 3},\n"
"    \"kind\":   {\"type\": \"enum\", \"values\": [\"family\", \"travel\", \"nature\", \"other\"],\n"
"                \"default\": \"other\", \"required\": true},\n"
"    \"public\": {\"type\": \"boolean\", \"default\": false}\n"
"  },\n"
"  \"profiles\": {\n"
"    \"360p\":   {\"kind\": \"video\", \"container\": \"mp4\", \"codec\": \"h264\", \"height\": 360,\n"
"                \"crf\": 23, \"preset\": \"veryfast\", \"audio\": \"aac\", \"audio_bitrate\": 96000},\n"
"    \"poster\": {\"kind\": \"image\", \"format\": \"jpeg\", \"width\": 480, \"at\": 0.5}\n"
"  }\n"
"}\n";

static int has_config(const char *dir)
{
	char *p = path_join(dir, BACKYARD_CONFIG);
	int r = access(p, F_OK) == 0;
	free(p);
	return r;
}

char *backyard_find_root(const char *dir)
{
	const char *why = dir ? "-C" : NULL;
	if (!dir && (dir = getenv("MEDUSA_BACKYARD")) && *dir)
		why = "MEDUSA_BACKYARD";
	if (why) {
		if (!*dir) {
			mwarn("backyard %s: an empty path", why);
			return NULL;
		}
		char *abs = realpath(dir, NULL);
		if (!abs) {
			mwarnerr("%s: backyard %s", dir, why);
			return NULL;
		}
		if (!path_is_dir(abs)) {
			mwarn("%s: backyard %s: not a directory", dir, why);
			free(abs);
			return NULL;
		}
		if (!has_config(abs)) {
			mwarn("%s: not a backyard: no %s there", dir, BACKYARD_CONFIG);
			free(abs);
			return NULL;
		}
		return abs;
	}
	char *cur = realpath(".", NULL);
	if (!cur) {
		mwarnerr("cannot resolve the working directory");
		return NULL;
	}
	for (;;) {
		if (has_config(cur))
			return cur;
		if (strcmp(cur, "/") == 0)
			break;
		char *up = path_dirname(cur);
		free(cur);
		cur = up;
	}
	free(cur);
	mwarn("no backyard found: no %s in the working directory or above "
	    "(use -C DIR or MEDUSA_BACKYARD)", BACKYARD_CONFIG);
	return NULL;
}

struct cerr {
	const char *file;
};

static int fail(const struct cerr *c, const char *jpath, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(const struct cerr *c, const char *jpath, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	mwarn("%s: %s: %s", c->file, jpath, msg);
	return -1;
}

static int valid_tag_name(const char *s)
{
	if (!*s || strlen(s) > 64 || !(isalpha((unsigned char)*s) || *s == '_'))
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-')
			return 0;
	return 1;
}

static const char *reserved_tag_names[] = {
	"sort", "limit", "cursor", "q", "fields", NULL,
};

static int load_tag(const struct cerr *c, const char *name, json_object *def, struct tagdef *t)
{
	char jp[256];
	snprintf(jp, sizeof jp, "tags.%s", name);
	if (!valid_tag_name(name))
		return fail(c, jp, "a tag name is a letter or '_' then letters, digits, '_' or '-'");
	for (const char **r = reserved_tag_names; *r; r++)
		if (strcmp(name, *r) == 0)
			return fail(c, jp, "\"%s\" is reserved (a query parameter of the API)", name);
	if (!json_object_is_type(def, json_type_object))
		return fail(c, jp, "a tag definition must be an object");
	{
		json_object_object_foreach(def, k, v) {
			(void)v;
			if (strcmp(k, "type") && strcmp(k, "values") && strcmp(k, "default") &&
			    strcmp(k, "required") && strcmp(k, "description"))
				return fail(c, jp, "unknown field \"%s\"", k);
		}
	}
	t->name = xstrdup(name);
	const char *type = jstr(def, "type");
	static const char *types[] = {"string", "integer", "number", "boolean", "enum", "list"};
	size_t i;
	for (i = 0; type && i < 6; i++)
		if (strcmp(type, types[i]) == 0)
			break;
	if (!type || i == 6)
		return fail(c, jp, "type: must be one of string, integer, number, boolean, enum, list");
	t->type = (enum tag_type)i;
	json_object *values;
	if (json_object_object_get_ex(def, "values", &values)) {
		if (t->type != TAG_ENUM)
			return fail(c, jp, "values: only an enum has values");
		if (!json_object_is_type(values, json_type_array) || json_object_array_length(values) == 0)
			return fail(c, jp, "values: must be a non-empty array of strings");
		t->nvalues = json_object_array_length(values);
		t->values = xcalloc(t->nvalues, sizeof *t->values);
		for (size_t j = 0; j < t->nvalues; j++) {
			json_object *v = json_object_array_get_idx(values, j);
			if (!json_object_is_type(v, json_type_string))
				return fail(c, jp, "values[%zu]: must be a string", j);
			t->values[j] = xstrdup(json_object_get_string(v));
		}
	} else if (t->type == TAG_ENUM) {
		return fail(c, jp, "values: an enum needs its values");
	}
	json_object *req;
	if (json_object_object_get_ex(def, "required", &req)) {
		if (!json_object_is_type(req, json_type_boolean))
			return fail(c, jp, "required: must be true or false");
		t->required = json_object_get_boolean(req);
	}
	json_object *dflt;
	if (json_object_object_get_ex(def, "default", &dflt) && dflt) {
		char why[256];
		if (tag_value_check(t, dflt, why, sizeof why) < 0)
			return fail(c, jp, "default: %s", why);
		t->def = json_object_get(dflt);
	}
	return 0;
}

static char *resolve_dir(const char *root, const char *p)
{
	if (strncmp(p, "file:", 5) == 0)
		p += 5;
	return p[0] == '/' ? xstrdup(p) : path_join(root, p);
}

static int load_frontyard(const struct cerr *c, struct config *cfg, json_object *fy)
{
	if (fy && !json_object_is_type(fy, json_type_object))
		return fail(c, "frontyard", "must be an object");
	const char *keys[] = {"dir", "storage", "metastore", "workdir", "url", "where", NULL};
	if (fy) {
		json_object_object_foreach(fy, k, v) {
			size_t i;
			for (i = 0; keys[i]; i++)
				if (strcmp(k, keys[i]) == 0)
					break;
			char jp[128];
			snprintf(jp, sizeof jp, "frontyard.%s", k);
			if (!keys[i])
				return fail(c, jp, "unknown field (known: dir, storage, metastore, workdir, url, where)");
			if (!strcmp(k, "where") && json_object_is_type(v, json_type_string))
				continue;       /* "" is a rule too: every clip */
			if (!json_object_is_type(v, json_type_string) || !*json_object_get_string(v))
				return fail(c, jp, "must be a non-empty string");
		}
	}
	const char *dir = jstr(fy, "dir");
	if (dir) {
		cfg->frontyard_dir = resolve_dir(cfg->root, dir);
	} else {
		char *parent = path_dirname(cfg->root);
		cfg->frontyard_dir = path_join(parent, "frontyard");
		free(parent);
	}
	const char *s = jstr(fy, "storage");
	if (s)
		cfg->storage = strstr(s, "://") ? xstrdup(s) : resolve_dir(cfg->root, s);
	else
		cfg->storage = path_join(cfg->frontyard_dir, "files");
	s = jstr(fy, "metastore");
	if (s)
		cfg->metastore = strstr(s, "://") ? xstrdup(s) : resolve_dir(cfg->root, s);
	else
		cfg->metastore = path_join(cfg->frontyard_dir, "metastore.sqlite");
	s = jstr(fy, "workdir");
	cfg->workdir = s ? resolve_dir(cfg->root, s) : path_join(cfg->frontyard_dir, "work");
	s = jstr(fy, "url");
	cfg->base_url = s ? xstrdup(s) : NULL;
	s = jstr(fy, "where");
	cfg->where = s && *s ? xstrdup(s) : NULL;
	return 0;
}

static int load_exts(const struct cerr *c, struct config *cfg, json_object *exts)
{
	if (!exts) {
		cfg->nexts = sizeof default_exts / sizeof default_exts[0];
		cfg->exts = xcalloc(cfg->nexts, sizeof *cfg->exts);
		for (size_t i = 0; i < cfg->nexts; i++)
			cfg->exts[i] = xstrdup(default_exts[i]);
		return 0;
	}
	if (!json_object_is_type(exts, json_type_array) || json_object_array_length(exts) == 0)
		return fail(c, "extensions", "must be a non-empty array of strings");
	cfg->nexts = json_object_array_length(exts);
	cfg->exts = xcalloc(cfg->nexts, sizeof *cfg->exts);
	for (size_t i = 0; i < cfg->nexts; i++) {
		json_object *v = json_object_array_get_idx(exts, i);
		const char *s = json_object_get_string(v);
		char jp[64];
		snprintf(jp, sizeof jp, "extensions[%zu]", i);
		if (!json_object_is_type(v, json_type_string))
			return fail(c, jp, "must be a string");
		if (*s == '.')
			s++;
		if (!*s || strchr(s, '/') || s[strlen(s) - 1] == '.')
			return fail(c, jp, "not a file extension");
		cfg->exts[i] = xstrdup(s);
		for (char *p = cfg->exts[i]; *p; p++)
			*p = (char)tolower((unsigned char)*p);
	}
	return 0;
}

static int load_profiles(const struct cerr *c, struct config *cfg, json_object *profiles,
    int flags)
{
	if (!profiles)
		return 0;
	if (!json_object_is_type(profiles, json_type_object))
		return fail(c, "profiles", "must be an object of name: profile");
	cfg->profiles = xcalloc((size_t)json_object_object_length(profiles), sizeof *cfg->profiles);
	json_object_object_foreach(profiles, name, spec) {
		char why[512], jp[256];
		if (profile_parse(name, spec, !!(flags & CONFIG_ENCODERS),
		    &cfg->profiles[cfg->nprofiles], why, sizeof why) < 0) {
			/* "field: reason" from profile_parse joins the path */
			size_t k = strcspn(why, ": ");
			if (why[k] == ':' && why[k + 1] == ' ' && k > 0) {
				snprintf(jp, sizeof jp, "profiles.%s.%.*s", name, (int)k, why);
				return fail(c, jp, "%s", why + k + 2);
			}
			snprintf(jp, sizeof jp, "profiles.%s", name);
			return fail(c, jp, "%s", why);
		}
		cfg->nprofiles++;
	}
	return 0;
}

int config_load(const char *root, int flags, struct config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->root = xstrdup(root);
	size_t n = strlen(cfg->root);
	while (n > 1 && cfg->root[n - 1] == '/')
		cfg->root[--n] = '\0';
	cfg->path = path_join(cfg->root, BACKYARD_CONFIG);
	struct cerr c = {cfg->path};
	char *text;
	size_t len;
	if (atomic_read_file(cfg->path, META_MAX_BYTES, &text, &len) < 0) {
		mwarnerr("%s", cfg->path);
		return -1;
	}
	char why[256];
	cfg->json = json_parse_strict(text, len, why, sizeof why);
	free(text);
	if (!cfg->json) {
		mwarn("%s: malformed JSON: %s", cfg->path, why);
		return -1;
	}
	if (!json_object_is_type(cfg->json, json_type_object))
		return fail(&c, "(top)", "the config must be a JSON object");
	json_object_object_foreach(cfg->json, k, v) {
		(void)v;
		if (strcmp(k, "tags") && strcmp(k, "profiles") && strcmp(k, "extensions") &&
		    strcmp(k, "frontyard") && strcmp(k, "description"))
			return fail(&c, k, "unknown field");
	}
	json_object *tags = json_object_object_get(cfg->json, "tags");
	if (tags && !json_object_is_type(tags, json_type_object))
		return fail(&c, "tags", "must be an object of name: definition");
	if (tags) {
		cfg->tags = xcalloc((size_t)json_object_object_length(tags), sizeof *cfg->tags);
		json_object_object_foreach(tags, name, def) {
			if (load_tag(&c, name, def, &cfg->tags[cfg->ntags++]) < 0)
				return -1;
		}
	}
	if (load_profiles(&c, cfg, json_object_object_get(cfg->json, "profiles"), flags) < 0)
		return -1;
	if (load_exts(&c, cfg, json_object_object_get(cfg->json, "extensions")) < 0)
		return -1;
	return load_frontyard(&c, cfg, json_object_object_get(cfg->json, "frontyard"));
}

void config_free(struct config *cfg)
{
	for (size_t i = 0; i < cfg->ntags; i++) {
		struct tagdef *t = &cfg->tags[i];
		free(t->name);
		for (size_t j = 0; j < t->nvalues; j++)
			free(t->values[j]);
		free(t->values);
		json_object_put(t->def);
	}
	free(cfg->tags);
	for (size_t i = 0; i < cfg->nprofiles; i++)
		profile_free(&cfg->profiles[i]);
	free(cfg->profiles);
	for (size_t i = 0; i < cfg->nexts; i++)
		free(cfg->exts[i]);
	free(cfg->exts);
	free(cfg->frontyard_dir);
	free(cfg->where);
	free(cfg->storage);
	free(cfg->metastore);
	free(cfg->workdir);
	free(cfg->base_url);
	json_object_put(cfg->json);
	free(cfg->root);
	free(cfg->path);
	memset(cfg, 0, sizeof *cfg);
}

void config_open_flags(const char *dir, int flags, struct config *cfg)
{
	char *root = backyard_find_root(dir);
	if (!root)
		exit(EXIT_USAGE);
	int r = config_load(root, flags, cfg);
	free(root);
	if (r < 0)
		exit(EXIT_USAGE);
}

void config_open(const char *dir, struct config *cfg)
{
	config_open_flags(dir, 0, cfg);
}

const struct tagdef *config_tag(const struct config *cfg, const char *name)
{
	return tag_find(cfg->tags, cfg->ntags, name);
}

const struct profile *config_profile(const struct config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->nprofiles; i++)
		if (strcmp(cfg->profiles[i].name, name) == 0)
			return &cfg->profiles[i];
	return NULL;
}

int config_is_video(const struct config *cfg, const char *name)
{
	/* by suffix, so an extension may hold a dot ("dv.mp4", "tar.mkv") */
	size_t n = strlen(name);
	for (size_t i = 0; i < cfg->nexts; i++) {
		size_t m = strlen(cfg->exts[i]);
		/* something before the dot: ".mp4" alone is a hidden file */
		if (n > m + 1 && name[n - m - 1] == '.' && strcasecmp(name + n - m, cfg->exts[i]) == 0)
			return 1;
	}
	return 0;
}
