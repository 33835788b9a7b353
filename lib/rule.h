/* rule.h: tag filters in the /api/clips query syntax ("public=true",
 * "kind=travel&kind=nature"): the filters of a listing request, and the
 * publication rule of a frontyard (frontyard.where, -W; medusa(7)).
 * Filters on one tag are alternatives, filters on different tags must all
 * hold. A value is read by its tag's type in the tag set, so that a value
 * the type cannot have ("rating=abc") is an error that names the tag and
 * the value; without a tag set a value matches a string, a number or a
 * boolean that it spells.
 *
 * A tag value has a class and a canonical text, the key of an index:
 * strings their own text, numbers the shortest text that reads back as
 * the same double ("3", "2.5"), booleans "true" or "false". */
#ifndef MEDUSA_RULE_H
#define MEDUSA_RULE_H

#include <stddef.h>
#include <json-c/json.h>
#include "config.h"

enum rule_class { RULE_STRING, RULE_NUMBER, RULE_BOOLEAN };

struct rule_value {
	enum rule_class cls;
	char *text;
};

/* The values given for one tag. */
struct rule_group {
	char *tag;
	struct rule_value *v;
	size_t nv;
};

struct rule {
	struct rule_group *g;   /* sorted by tag name */
	size_t ng;
};

/* An empty rule (matches every clip). */
struct rule *rule_new(void);
void rule_free(struct rule *r);

/* Adds the filter tag=value, read by the tag's type in cfg (NULL: no tag
 * set). 0, or -1 with why ("rating: \"abc\" is not an integer", "colour:
 * no such tag"), every name and value in it made valid UTF-8. */
int rule_add(struct rule *r, const struct config *cfg, const char *tag, const char *value,
    char *why, size_t n);

/* A rule from its text (pairs joined by '&', percent-encoding allowed).
 * Only tag filters: limit, cursor, sort and q are not rules. NULL with
 * why ("where: ..."). An empty text gives an empty rule. */
struct rule *rule_parse(const char *text, const struct config *cfg, char *why, size_t n);

/* The publication rule a tool applies: arg (-W) when given, else the
 * config's frontyard.where (cfg may be NULL), else NULL (every clip). A
 * bad rule ends the program (exit 2) with a message naming where it was
 * written and what is wrong. */
struct rule *rule_open(const char *arg, const struct config *cfg);

/* Deletes from the metastore file at path (a snapshot being made for a
 * copy elsewhere) every clip outside the rule, with its renditions and
 * tags, and leaves the file in rollback-journal mode. *excluded (may be
 * NULL) gets a new array of the ids deleted. 0, or -1 after a message. */
int rule_keep_only(const char *path, const struct rule *r, json_object **excluded);

/* Whether a clip's effective tags (an object) pass the rule. */
int rule_match(const struct rule *r, json_object *tags);

/* The canonical form of a rule, as a new string: the same for rules that
 * select the same clips by the same filters ("" for an empty rule). */
char *rule_canonical(const struct rule *r);

/* The class and canonical text of a scalar tag value (text in buf, which
 * holds at least 64 bytes, unless it is a string: then *text points into
 * v). -1 for null, objects and arrays. */
int rule_value_key(json_object *v, enum rule_class *cls, const char **text, char *buf, size_t n);

#endif
