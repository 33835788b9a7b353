/* config.h: finding the backyard root and loading its config,
 * backyard.medusa.json (medusa-files(5)). */
#ifndef MEDUSA_CONFIG_H
#define MEDUSA_CONFIG_H

#include <stddef.h>
#include <json-c/json.h>

#define BACKYARD_CONFIG "backyard.medusa.json"
#define FOLDER_META "folder.medusa.json"
#define SIDECAR_SUFFIX ".medusa.json"
#define META_MAX_BYTES (16u << 20) /* no config or sidecar is larger */

enum tag_type { TAG_STRING, TAG_INTEGER, TAG_NUMBER, TAG_BOOLEAN, TAG_ENUM, TAG_LIST };

struct tagdef {
	char *name;
	enum tag_type type;
	char **values;          /* TAG_ENUM: the allowed values */
	size_t nvalues;
	json_object *def;       /* the default value, or NULL */
	int required;
};

enum profile_kind { PROFILE_VIDEO, PROFILE_IMAGE, PROFILE_COPY, PROFILE_PREVIEW };

struct profile {
	char *name;             /* [A-Za-z0-9_-]+, used in file names */
	enum profile_kind kind;
	json_object *spec;      /* the profile object as written in the config */
	char *canonical;        /* canonical JSON of spec: sorted keys, compact */
	char *ext;              /* file extension without the dot: mp4, jpg, ... */
	char *mime;             /* video/mp4, image/jpeg, ... */
	int check_encoders;     /* its encoders were looked up (CONFIG_ENCODERS) */
};

struct config {
	char *root;             /* absolute, no trailing slash */
	char *path;             /* root/backyard.medusa.json */
	json_object *json;      /* the whole file */
	struct tagdef *tags;
	size_t ntags;
	struct profile *profiles;
	size_t nprofiles;
	char **exts;            /* video extensions, lowercase, no dot */
	size_t nexts;
	/* frontyard defaults; the embedded default puts all three in
	 * "frontyard/" beside the backyard root (dirname(root)/frontyard) */
	char *frontyard_dir;    /* absolute */
	char *storage;          /* storage URL (file:DIR, DIR or s3://...) */
	char *metastore;        /* SQLite file or remote URL */
	char *workdir;          /* medusa-cut's work directory */
	char *base_url;         /* files base URL for published records, or NULL */
	char *where;            /* the local frontyard's publication rule (rule.h), or NULL */
};

/* Finds the root: dir when given (-C), else $MEDUSA_BACKYARD, else the nearest
 * directory at or above the working directory holding backyard.medusa.json.
 * Returns a new absolute path, or NULL after a message. */
char *backyard_find_root(const char *dir);

/* What config_load checks beyond the file itself (flags). */
enum {
	/* each profile's encoders are in this libavcodec (profile_parse): for a
	 * tool that encodes; the others never load libavcodec */
	CONFIG_ENCODERS = 1,
};

/* Loads and validates root/backyard.medusa.json. Errors name the file and
 * the JSON path ("backyard.medusa.json: tags.rating.type: ..."). 0, or -1
 * after a message (callers exit 2). */
int config_load(const char *root, int flags, struct config *cfg);
void config_free(struct config *cfg);

/* backyard_find_root + config_load, exiting 2 on failure; config_open is
 * config_open_flags with no flags. */
void config_open_flags(const char *dir, int flags, struct config *cfg);
void config_open(const char *dir, struct config *cfg);

const struct tagdef *config_tag(const struct config *cfg, const char *name);
const struct profile *config_profile(const struct config *cfg, const char *name);
/* True when the file name's extension is a video extension of the config. */
int config_is_video(const struct config *cfg, const char *name);

/* The example config that `medusa-meta init` and the demo write. */
extern const char config_example[];

#endif
