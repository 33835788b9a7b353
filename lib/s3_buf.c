/* s3_buf.c: the growing reply and request buffers of the S3 client. */
#include "s3_int.h"
#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void s3_buf_add(struct s3_buf *b, const void *d, size_t n)
{
	if (b->len + n > b->max) {
		b->overflow = 1;
		return;
	}
	if (b->len + n + 1 > b->cap) {
		size_t c = b->cap ? b->cap : 1024;
		while (c < b->len + n + 1)
			c *= 2;
		b->p = xrealloc(b->p, c);
		b->cap = c;
	}
	memcpy(b->p + b->len, d, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void s3_buf_printf(struct s3_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void s3_buf_printf(struct s3_buf *b, const char *fmt, ...)
{
	va_list ap;
	char *s;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		mdie(EXIT_USAGE, "out of memory");
	va_end(ap);
	s3_buf_add(b, s, strlen(s));
	free(s);
}

