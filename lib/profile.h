/* profile.h: output profiles of backyard.medusa.json (medusa-files(5)). */
#ifndef MEDUSA_PROFILE_H
#define MEDUSA_PROFILE_H

#include <stddef.h>
#include "backyard.h"

/* Validates spec as a profile named name and fills p (name, kind, spec,
 * canonical, ext, mime). On error writes "JSON-PATH: reason" relative to the
 * profile into err and returns -1. */
int profile_parse(const char *name, json_object *spec, struct profile *p,
    char *err, size_t errlen);
void profile_free(struct profile *p);

#endif
