/* The source fingerprint that goes into a rendition's version. */
#include "media.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

int media_fingerprint(const char *path, char hex[HASH_HEX_LEN + 1])
{
	enum { MIB = 1 << 20 };
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -1;
	struct stat st;
	crypto_generichash_state h;
	unsigned char *buf = xmalloc(MIB), out[32];
	int r = -1, e = 0;
	if (fstat(fd, &st) < 0)
		goto out;
	if (!S_ISREG(st.st_mode)) {
		errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
		goto out;
	}
	char head[64];
	int n = snprintf(head, sizeof head, "%lld %lld.%09ld", (long long)st.st_size,
	    (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	crypto_generichash_init(&h, NULL, 0, sizeof out);
	crypto_generichash_update(&h, (unsigned char *)head, (unsigned long long)n);
	off_t offs[2] = {0, st.st_size > MIB ? st.st_size - MIB : 0};
	for (int i = 0; i < 2; i++) {
		ssize_t got = pread(fd, buf, MIB, offs[i]);
		if (got < 0)
			goto out;
		crypto_generichash_update(&h, buf, (unsigned long long)got);
	}
	crypto_generichash_final(&h, out, sizeof out);
	hash_to_hex(out, sizeof out, hex);
	r = 0;
out:
	e = errno;
	free(buf);
	close(fd);
	errno = e;
	return r;
}
