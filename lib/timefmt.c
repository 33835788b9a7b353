#include "timefmt.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define MAX_MS (100LL * 24 * 3600 * 1000) /* 100 days: no video is longer */

/* Parses digits[.fraction] at *p into milliseconds; integer part into *whole. */
static int parse_field(const char **p, long long *whole, long long *frac_ms,
    int *had_frac, const char **why)
{
	const char *s = *p;
	if (!isdigit((unsigned char)*s)) {
		*why = "expected a digit";
		return -1;
	}
	long long v = 0;
	while (isdigit((unsigned char)*s)) {
		v = v * 10 + (*s++ - '0');
		if (v > MAX_MS) {
			*why = "time too large";
			return -1;
		}
	}
	long long f = 0;
	*had_frac = 0;
	if (*s == '.') {
		*had_frac = 1;
		s++;
		if (!isdigit((unsigned char)*s)) {
			*why = "expected a digit after '.'";
			return -1;
		}
		int digits = 0;
		while (isdigit((unsigned char)*s)) {
			if (digits < 3)
				f = f * 10 + (*s - '0');
			else if (*s != '0') {
				*why = "more than millisecond precision";
				return -1;
			}
			digits++;
			s++;
		}
		for (; digits < 3; digits++)
			f *= 10;
	}
	*whole = v;
	*frac_ms = f;
	*p = s;
	return 0;
}

int time_parse(const char *s, long long *ms, const char **why)
{
	const char *dummy;
	if (!why)
		why = &dummy;
	while (isspace((unsigned char)*s))
		s++;
	if (*s == '-') {
		*why = "negative time";
		return -1;
	}
	long long fields[3];
	long long frac = 0;
	int n = 0;
	for (;;) {
		long long f;
		int had_frac;
		if (n == 3) {
			*why = "too many ':' fields";
			return -1;
		}
		if (parse_field(&s, &fields[n], &f, &had_frac, why) < 0)
			return -1;
		n++;
		if (*s == ':') {
			if (had_frac) {
				*why = "a fraction is allowed only on the seconds";
				return -1;
			}
			s++;
			continue;
		}
		frac = f;
		break;
	}
	while (isspace((unsigned char)*s))
		s++;
	if (*s) {
		*why = "not a time ([HH:]MM:SS[.fff] or seconds)";
		return -1;
	}
	long long total;
	if (n == 1) {
		total = fields[0];
	} else {
		/* the last field is seconds, the one before minutes */
		if (fields[n - 1] >= 60) {
			*why = "seconds must be below 60";
			return -1;
		}
		if (n == 3 && fields[1] >= 60) {
			*why = "minutes must be below 60";
			return -1;
		}
		total = n == 2 ? fields[0] * 60 + fields[1]
		               : (fields[0] * 60 + fields[1]) * 60 + fields[2];
	}
	if (total > MAX_MS / 1000) {
		*why = "time too large";
		return -1;
	}
	*ms = total * 1000 + frac;
	return 0;
}

int time_parse_json(json_object *v, long long *ms, const char **why)
{
	const char *dummy;
	if (!why)
		why = &dummy;
	switch (json_object_get_type(v)) {
	case json_type_int: {
		long long i = json_object_get_int64(v);
		if (i < 0) {
			*why = "negative time";
			return -1;
		}
		if (i > MAX_MS / 1000) {
			*why = "time too large";
			return -1;
		}
		*ms = i * 1000;
		return 0;
	}
	case json_type_double: {
		double d = json_object_get_double(v);
		if (!isfinite(d) || d < 0) {
			*why = isfinite(d) ? "negative time" : "not a finite number";
			return -1;
		}
		if (d > (double)(MAX_MS / 1000)) {
			*why = "time too large";
			return -1;
		}
		*ms = llround(d * 1000.0);
		return 0;
	}
	case json_type_string:
		return time_parse(json_object_get_string(v), ms, why);
	default:
		*why = "a time must be a number of seconds or a \"[HH:]MM:SS[.fff]\" string";
		return -1;
	}
}

char *time_format(long long ms, char *buf, size_t n)
{
	/* a negative time (a probe's odd start) prints with its sign, not as
	 * "-1:-2:-3.-4" */
	const char *sign = ms < 0 ? "-" : "";
	unsigned long long a = ms < 0 ? 0ULL - (unsigned long long)ms : (unsigned long long)ms;
	unsigned long long s = a / 1000;
	snprintf(buf, n, "%s%02llu:%02llu:%02llu.%03llu", sign, s / 3600, s / 60 % 60, s % 60, a % 1000);
	return buf;
}

json_object *time_to_json(long long ms)
{
	if (ms % 1000 == 0)
		return json_object_new_int64(ms / 1000);
	const char *sign = ms < 0 ? "-" : "";
	unsigned long long a = ms < 0 ? 0ULL - (unsigned long long)ms : (unsigned long long)ms;
	char buf[32];
	snprintf(buf, sizeof buf, "%s%llu.%03llu", sign, a / 1000, a % 1000);
	/* trim trailing zeros so 62.500 prints as 62.5 */
	size_t n = strlen(buf);
	while (buf[n - 1] == '0')
		buf[--n] = '\0';
	return json_object_new_double_s((double)ms / 1000.0, buf);
}
