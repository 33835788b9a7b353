/* store_key.c: the rule for a store key, below store.c and its backends
 * (store_s3.c checks a URL's prefix with it), so that neither calls the
 * other back. */
#include "store_key.h"

#include <string.h>

/* strict: also no control characters or backslashes (keys we make) */
static int key_ok(const char *key, int strict)
{
	if (!key || !*key || *key == '/' || strlen(key) > 1024)
		return 0;
	const char *part = key;
	for (const char *p = key;; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '/' || c == '\0') {
			size_t n = (size_t)(p - part);
			if (n == 0 || (n == 1 && part[0] == '.') ||
			    (n == 2 && part[0] == '.' && part[1] == '.'))
				return 0;
			if (c == '\0')
				return 1;
			part = p + 1;
		} else if (strict && (c < 0x20 || c == 0x7f || c == '\\')) {
			return 0;
		}
	}
}

int store_key_valid(const char *key)
{
	return key_ok(key, 1);
}

int store_key_removable(const char *key)
{
	return key_ok(key, 0);
}
