/* Counting the connections of a server from /proc/net/tcp{,6}. */
#include "connload.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

/* An address as /proc/net/tcp prints it: each 32-bit word of the network
 * order bytes as a host order number, %08X. */
static void hex_addr(const struct sockaddr_storage *ss, char *out, size_t n)
{
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
		snprintf(out, n, "%08X", (unsigned)a->sin_addr.s_addr);
		return;
	}
	const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
	unsigned w[4];
	memcpy(w, &a->sin6_addr, sizeof w);
	snprintf(out, n, "%08X%08X%08X%08X", w[0], w[1], w[2], w[3]);
}

static unsigned port_of(const struct sockaddr_storage *ss)
{
	return ntohs(ss->ss_family == AF_INET ? ((const struct sockaddr_in *)ss)->sin_port :
	    ((const struct sockaddr_in6 *)ss)->sin6_port);
}

int connload_init(struct connload *l, int fd)
{
	memset(l, 0, sizeof *l);
	struct sockaddr_storage me, peer;
	socklen_t ml = sizeof me, pl = sizeof peer;
	if (getsockname(fd, (struct sockaddr *)&me, &ml) < 0 ||
	    getpeername(fd, (struct sockaddr *)&peer, &pl) < 0 ||
	    (me.ss_family != AF_INET && me.ss_family != AF_INET6) || peer.ss_family != me.ss_family)
		return -1;
	char a[36];
	hex_addr(&me, a, sizeof a);
	snprintf(l->local, sizeof l->local, "%s:%04X", a, port_of(&me));
	hex_addr(&peer, l->remote, sizeof l->remote);
	l->v6 = me.ss_family == AF_INET6;
	l->ok = 1;
	return 0;
}

/* The n-th field (0-based) of a line split by spaces, with its length. */
static const char *field(const char *line, int n, size_t *len)
{
	const char *p = line;
	for (int i = 0;; i++) {
		p += strspn(p, " ");
		if (!*p || *p == '\n')
			return NULL;
		size_t k = strcspn(p, " \n");
		if (i == n) {
			*len = k;
			return p;
		}
		p += k;
	}
}

int connload_count(const struct connload *l, struct connload_counts *out)
{
	memset(out, 0, sizeof *out);
	if (!l->ok)
		return -1;
	FILE *f = fopen(l->v6 ? "/proc/net/tcp6" : "/proc/net/tcp", "re");
	if (!f)
		return -1;
	char line[512];
	size_t ln = strlen(l->local), rn = strlen(l->remote), k;
	/* "  sl  local_address rem_address   st ... inode": state 01 is
	 * ESTABLISHED; a socket no process has accepted yet has inode 0 */
	while (fgets(line, sizeof line, f)) {
		const char *loc = field(line, 1, &k);
		if (!loc || k != ln || memcmp(loc, l->local, ln) != 0)
			continue;
		const char *st = field(line, 3, &k);
		if (!st || k != 2 || memcmp(st, "01", 2) != 0)
			continue;
		out->total++;
		const char *ino = field(line, 9, &k);
		if (ino && k == 1 && *ino == '0')
			out->waiting++;
		const char *rem = field(line, 2, &k);
		if (rem && k > rn && rem[rn] == ':' && memcmp(rem, l->remote, rn) == 0)
			out->same_source++;
	}
	fclose(f);
	return 0;
}
