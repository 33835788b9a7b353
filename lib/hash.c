#include "hash.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

int hash_init(void)
{
	return sodium_init() < 0 ? -1 : 0;
}

void hash_to_hex(const unsigned char *bin, size_t n, char *hex)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		hex[2 * i] = digits[bin[i] >> 4];
		hex[2 * i + 1] = digits[bin[i] & 15];
	}
	hex[2 * n] = '\0';
}

void hash_buffer_hex(const void *buf, size_t n, char hex[HASH_HEX_LEN + 1])
{
	unsigned char out[32];
	crypto_generichash(out, sizeof out, buf, n, NULL, 0);
	hash_to_hex(out, sizeof out, hex);
}

int hash_file_hex(const char *path, char hex[HASH_HEX_LEN + 1])
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	crypto_generichash_state st;
	crypto_generichash_init(&st, NULL, 0, 32);
	static __thread unsigned char block[1 << 16];
	for (;;) {
		ssize_t n = read(fd, block, sizeof block);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			close(fd);
			errno = e;
			return -1;
		}
		if (n == 0)
			break;
		crypto_generichash_update(&st, block, (size_t)n);
	}
	close(fd);
	unsigned char out[32];
	crypto_generichash_final(&st, out, sizeof out);
	hash_to_hex(out, sizeof out, hex);
	return 0;
}

void hash_etag(const void *buf, size_t n, char etag[ETAG_LEN + 1])
{
	unsigned char out[16];
	crypto_generichash(out, sizeof out, buf, n, NULL, 0);
	hash_to_hex(out, sizeof out, etag);
}

static const char id_alphabet[] = "0123456789abcdefghjkmnpqrstvwxyz";

static void id_from_bytes(const unsigned char *b, char id[CLIP_ID_LEN + 1])
{
	/* 12 characters of 5 bits = 60 bits from the first 8 bytes. */
	unsigned long long v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | b[i];
	for (int i = 0; i < CLIP_ID_LEN; i++) {
		id[i] = id_alphabet[v & 31];
		v >>= 5;
	}
	id[CLIP_ID_LEN] = '\0';
}

void clip_id_random(char id[CLIP_ID_LEN + 1])
{
	unsigned char b[8];
	randombytes_buf(b, sizeof b);
	id_from_bytes(b, id);
}

void clip_id_derived(const char *video, long long start_ms, long long end_ms,
    char id[CLIP_ID_LEN + 1])
{
	crypto_generichash_state st;
	unsigned char out[16];
	char times[64];
	int n = snprintf(times, sizeof times, "%lld-%lld", start_ms, end_ms);
	crypto_generichash_init(&st, NULL, 0, sizeof out);
	crypto_generichash_update(&st, (const unsigned char *)video, strlen(video) + 1);
	crypto_generichash_update(&st, (const unsigned char *)times, (size_t)n);
	crypto_generichash_final(&st, out, sizeof out);
	id_from_bytes(out, id);
}

int clip_id_valid(const char *id)
{
	size_t n = strlen(id);
	if (n == 0 || n > 64)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = id[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}
