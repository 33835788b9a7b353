/* timefmt.h: clip times, in milliseconds. Users write seconds (a number)
 * or [HH:]MM:SS[.fff]. */
#ifndef MEDUSA_TIMEFMT_H
#define MEDUSA_TIMEFMT_H

#include <json-c/json.h>

/* Parses "75", "75.5", "01:15", "1:02.5", "00:01:02.500". Minutes and seconds
 * fields must be below 60 when a larger field stands before them. Negative
 * times, more than three decimals that are not zero, and junk are refused.
 * 0, or -1 with *why set to a static explanation. */
int time_parse(const char *s, long long *ms, const char **why);
/* A JSON number (seconds) or a string as above. */
int time_parse_json(json_object *v, long long *ms, const char **why);
/* "HH:MM:SS.fff" into buf (at least 32 bytes). */
char *time_format(long long ms, char *buf, size_t n);
/* ms as seconds for records: a JSON double with 3 decimals at most. */
json_object *time_to_json(long long ms);

#endif
