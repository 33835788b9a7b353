/* libFuzzer target: the NDJSON reader over a stream. Each record it returns
 * is an object; written back with ndjson_write, it reads back as one equal
 * record on one line. */
#include "ndjson.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	/* the reader reports bad lines on stderr: keep the fuzzer's output
	 * readable. Only the stdio stream moves: libFuzzer kept its own copy of
	 * the pointer, and sanitizer reports write to fd 2. */
	if (!getenv("FUZZ_VERBOSE")) {
		FILE *null = fopen("/dev/null", "w");
		if (null)
			stderr = null;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	FILE *f = fmemopen((void *)data, size, "r");
	if (!f)
		return 0;
	struct ndjson_reader *r = ndjson_open(f, "fuzz");
	json_object *rec;
	int st;
	while ((st = ndjson_next(r, &rec)) != NDJSON_EOF && st != NDJSON_IOERR) {
		if (st != NDJSON_RECORD)
			continue;
		if (!json_object_is_type(rec, json_type_object))
			abort();
		char *buf = NULL;
		size_t len = 0;
		FILE *o = open_memstream(&buf, &len);
		if (!o || ndjson_write(o, rec) < 0 || fclose(o) != 0)
			abort();
		if (len == 0 || buf[len - 1] != '\n' || memchr(buf, '\n', len - 1)) {
			dprintf(2, "ndjson_write wrote other than one line: %s", buf);
			abort();
		}
		FILE *in = fmemopen(buf, len, "r");
		struct ndjson_reader *r2 = ndjson_open(in, "back");
		json_object *again;
		if (ndjson_next(r2, &again) != NDJSON_RECORD || !json_object_equal(rec, again)) {
			dprintf(2, "a record does not read back: %s", buf);
			abort();
		}
		json_object_put(again);
		if (ndjson_next(r2, &again) != NDJSON_EOF)
			abort();
		ndjson_close(r2);
		fclose(in);
		free(buf);
		json_object_put(rec);
	}
	ndjson_close(r);
	fclose(f);
	return 0;
}
