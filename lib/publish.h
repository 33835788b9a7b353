/* publish.h: one run of medusa-publish (medusa-publish(1)): rendition
 * records in; their files into frontyard storage, their clips into the
 * metastore, the records out with each rendition's url. With prune, clips
 * gone from a complete scan leave the frontyard.
 *
 * A run is one generation, committed in one step: every file first, then
 * one transaction for every row and the prune, then the records. Files the
 * previous generation used are listed in the metastore's garbage table and
 * removed only after the grace period, when no server lists them any more. */
#ifndef MEDUSA_PUBLISH_H
#define MEDUSA_PUBLISH_H

#include "ndjson.h"
#include "rule.h"

#include <stddef.h>

struct publish_opts {
	const char *storage;            /* storage URL (store.h) */
	const char *metastore;          /* the metastore file */
	const char *base;               /* base URL of the urls */
	const char *workdir;            /* medusa-cut's, tidied where clips changed; or NULL */
	const struct rule *where;       /* what this frontyard carries; NULL: every clip */
	const char *where_text;         /* its canonical text (rule_canonical), "" for none */
	int prune, force, quiet;
	long long grace;                /* seconds an unused file stays in storage */
};

struct publish;

/* Opens storage and the metastore (locked: one publish at a time) and
 * begins the run's transaction; o and what it points to must outlive the
 * run. NULL after a message: the settings are wrong (exit 2). */
struct publish *publish_open(const struct publish_opts *o);
/* One line of rd's input into the transaction: its record goes out at
 * once, or after the commit when its row changes. 0, or -1 when the run
 * cannot go on (nothing will be committed). */
int publish_line(struct publish *p, struct ndjson_reader *rd, const char *line, size_t len);
/* The end of the input (whole: 0 when it could not be read to its end):
 * the prune, the commit, then the records, the removal of unused files,
 * the work folders, the summary record and the message. 0 when every
 * record went through; -1 when one failed, or nothing was committed. */
int publish_end(struct publish *p, int whole);
void publish_close(struct publish *p);

#endif
