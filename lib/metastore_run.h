/* metastore_run.h: what one medusa-publish run keeps beside its
 * transaction, in the metastore's connection and never in the file: the
 * rows it published, what its error records name, the clips whose work
 * folders it touched, and the prune and sweep built on those. One run per
 * open metastore (its temporary tables live as long as the connection).
 * Every function returns as it says, or -1 after a message. */
#ifndef MEDUSA_METASTORE_RUN_H
#define MEDUSA_METASTORE_RUN_H

#include "metastore.h"

struct ms_run;

/* Starts the run on ms, inside the transaction it publishes in. */
struct ms_run *metastore_run_open(struct metastore *ms);
void metastore_run_close(struct ms_run *run);

/* Marks row n (clips.n) as published by this run: the prune keeps it, and
 * a second record for it is refused. 1 new, 0 marked already. */
int metastore_seen_row(struct ms_run *run, long long n);
/* What an error record names, so that the prune keeps it: a clip id (its
 * row stays as it is) or, when clip is NULL, a whole video. 0. */
int metastore_seen_error(struct ms_run *run, const char *clip, const char *video);
/* The clips the input named: rows marked plus clips of error records. */
long long metastore_seen_count(struct ms_run *run);

/* Picks the rows a prune deletes: every row neither marked nor named by an
 * error record (by clip or video). How many. */
long long metastore_prune_pick(struct ms_run *run);
/* Deletes the picked rows (inside the transaction); their files go into
 * the garbage table as unused since `since`, their clips into the touched
 * list. 0. */
int metastore_prune(struct ms_run *run, long long since);

/* A clip whose work folder is to be tidied after the commit. 0. */
int metastore_touch(struct ms_run *run, const char *clip);
/* Calls each(arg, clip) for the touched clips in id order: the first
 * non-zero return of each, or 0. */
int metastore_each_touched(struct ms_run *run, int (*each)(void *arg, const char *clip),
    void *arg);
/* Whether a rendition or the garbage table names a key from lo (included)
 * to hi (excluded): 1 or 0. */
int metastore_named_between(struct ms_run *run, const char *lo, const char *hi);

/* A key found in storage: 1 when neither a rendition nor the garbage table
 * names it (it is listed as an orphan), 0 when one does. */
int metastore_orphan(struct ms_run *run, const char *key);
/* Calls each(arg, key) for the orphans listed: the first non-zero return
 * of each, or 0. */
int metastore_each_orphan(struct ms_run *run, int (*each)(void *arg, const char *key),
    void *arg);

#endif
