# clips.make: run by examples/batch/Makefile inside the work folder, with
# MEDUSA_BACKYARD and MEDUSA_BATCH_SRC set; clips.mk (from clips.sh) has one
# rule per clip, named by its id.
RECS :=
all: published.ndjson
-include clips.mk

# the records, the error records (so that their videos keep their clips)
# and the scan summary go to medusa-publish in one run
published.ndjson: $(RECS) errors.ndjson summary.json clips.mk
	cat $(RECS) errors.ndjson summary.json | medusa-publish --prune > $@.tmp
	mv -f $@.tmp $@

.PHONY: all
.DELETE_ON_ERROR:
