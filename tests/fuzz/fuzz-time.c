/* libFuzzer target: time_parse. A time it accepts is in range, and its
 * formatted form (time_format, time_to_json) parses back to the same
 * milliseconds. */
#include "timefmt.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	long long ms;
	const char *why = NULL;
	if (time_parse(s, &ms, &why) == 0) {
		if (ms < 0 || ms > 100LL * 24 * 3600 * 1000 + 999)
			abort();
		char buf[64];
		long long back;
		if (time_parse(time_format(ms, buf, sizeof buf), &back, &why) < 0 || back != ms) {
			fprintf(stderr, "%s -> %lld -> %s does not parse back\n", s, ms, buf);
			abort();
		}
		json_object *j = time_to_json(ms);
		if (time_parse_json(j, &back, &why) < 0 || back != ms) {
			fprintf(stderr, "%s -> %lld -> %s does not parse back\n", s, ms,
			    json_object_to_json_string(j));
			abort();
		}
		json_object_put(j);
	} else if (!why || !*why) {
		abort(); /* every refusal says why */
	}
	free(s);
	return 0;
}
