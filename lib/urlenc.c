/* urlenc: percent-decoding of URL paths and query strings (RFC 3986,
 * and '+' as space in HTML form queries), below every file that reads a
 * URL. */
#include "urlenc.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

int urlenc_hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

int urlenc_unescape(const char *s, size_t n, int form, char **out, size_t *outlen)
{
	char *d = xmalloc(n + 1);
	size_t j = 0;
	for (size_t i = 0; i < n; i++) {
		int ch = (unsigned char)s[i];
		if (ch == '%') {
			int h, l;
			if (i + 2 >= n) {
				free(d);
				return -1;
			}
			if ((h = urlenc_hexval((unsigned char)s[i + 1])) < 0 ||
			    (l = urlenc_hexval((unsigned char)s[i + 2])) < 0) {
				free(d);
				return -1;
			}
			ch = h * 16 + l;
			i += 2;
		} else if (ch == '+' && form) {
			ch = ' ';
		}
		if (ch == 0) {
			free(d);
			return -1;
		}
		d[j++] = (char)ch;
	}
	d[j] = '\0';
	*out = d;
	if (outlen)
		*outlen = j;
	return 0;
}

int urlenc_query_next(const char **q, char **key, char **val)
{
	const char *s = *q;
	while (*s == '&')
		s++;
	if (!*s) {
		*q = s;
		return 0;
	}
	size_t n = strcspn(s, "&");
	const char *eq = memchr(s, '=', n);
	size_t kn = eq ? (size_t)(eq - s) : n;
	*key = *val = NULL;
	if (urlenc_unescape(s, kn, 1, key, NULL) < 0)
		return -1;
	if (urlenc_unescape(eq ? eq + 1 : "", eq ? n - kn - 1 : 0, 1, val, NULL) < 0) {
		free(*key);
		*key = NULL;
		return -1;
	}
	*q = s + n;
	return 1;
}
