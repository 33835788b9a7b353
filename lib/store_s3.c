/* The S3 backend of store.h. Not built yet: see issue "Cloud frontyard". */
#include "store.h"
#include "util.h"

#include <stdio.h>

static int s3_open(struct store *s, const char *rest, char *why, size_t n)
{
	snprintf(why, n, "%s: S3 storage is not available in this build", s->url);
	return -1;
}

const struct store_ops store_s3_ops = {
	.scheme = "s3",
	.open = s3_open,
};
