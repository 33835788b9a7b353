/* publish_int.h: what the files of a publish run share (publish.c the run,
 * publish_clip.c one clip record, publish_known.c a record line seen
 * before, publish_clean.c what comes after the commit, publish_run.c the
 * output and helpers of all); no other file includes it. */
#ifndef MEDUSA_PUBLISH_INT_H
#define MEDUSA_PUBLISH_INT_H

#include "publish.h"
#include "metastore.h"
#include "metastore_run.h"
#include "store.h"

#include <stdio.h>
#include <json-c/json.h>

#define RECHASH_LEN 16
#define CLIP_ID_MAX 64

struct publish {
	struct store *st;
	struct metastore *ms;
	struct ms_run *run;
	const char *base;
	char *base_json;                /* base as it stands inside a JSON string */
	int prune, force, quiet;
	long long grace;
	long long gen, gen0, now;       /* gen0: the generation the run began with */
	/* counts */
	long long clips, changed, unchanged, failed, errors, pruned, removed, damaged, excluded;
	int complete, prune_ok, fatal, leftovers, out_failed;
	json_object *summary;
	const char *workdir;            /* -w: medusa-cut's, cleaned where clips changed */
	const struct rule *where;       /* -W or frontyard.where: what this frontyard carries */
	const char *where_text;         /* its canonical text, part of a record's rechash */
	char *workreal;                 /* its real path, to tell which files are its */
	FILE *spool;                    /* the records of changed rows, printed after the commit */
	char *dirty;                    /* METASTORE.dirty: files may be in storage that no row names */
	int was_dirty, made_dirty;
	int lock;                       /* METASTORE.lock, held for the run */
};

/* publish_run.c */
/* Fault injection for the tests (HACKING.md): with MEDUSA_TEST_CRASH_AT=N
 * the Nth crash point of the process kills its process group, as kill -9
 * of a reconcile would at that moment. */
void publish_crash_point(void);
/* Standard output failed: the run still publishes, and says so once. */
void publish_out_failed(struct publish *p);
/* A record out: at once, or spooled until the commit when changed. */
void publish_emit(struct publish *p, json_object *rec, int changed);
/* The spooled records to standard output; -1 when that fails. */
int publish_print_spool(struct publish *p);
/* An unnamed temporary file in TMPDIR for the spool, or NULL (errno). */
FILE *publish_spool_file(void);
/* Notes clip's work folder for tidying after the commit (with -w). 0 or -1. */
int publish_touch(struct publish *p, const char *clip);
/* s is min to max lowercase hex digits. */
int publish_valid_hex(const char *s, size_t min, size_t max);

/* publish_clip.c: a clip record (not a summary nor an error record), which
 * the call takes, into the open transaction, then out. -1: fatal. */
int publish_clip_record(struct publish *p, json_object *rec, const unsigned char *rechash);

/* publish_known.c */
/* The hash that recognises a record line seen before. */
void publish_record_hash(const struct publish *p, const char *line, size_t len,
    unsigned char out[RECHASH_LEN]);
/* A line seen before, whose row holds it and whose files are all in
 * storage, published as it is without parsing it: 1 done, 0 not such a
 * line (parse it), -1 fatal. */
int publish_known_line(struct publish *p, const char *line, size_t len,
    const unsigned char *rechash);

/* publish_clean.c: after the commit */
/* Removes the files unused for the grace period. 0 or -1. */
int publish_remove_due(struct publish *p);
/* Tidies the work folders of the touched clips. */
void publish_clean_workdir(struct publish *p);
/* Removes the files under clips/ that nothing names. 0 or -1. */
int publish_sweep(struct publish *p);

#endif
