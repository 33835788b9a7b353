/* test-util: messages from threads come out one whole line each. */
#include "tap.h"
#include "util.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define THREADS 8
#define LINES 400
#define WORD 200

/* Each thread writes lines of its own letter, each with a strerror tail. */
static void *warn_lines(void *arg)
{
	char word[WORD + 1];
	memset(word, 'a' + (int)(long)arg, WORD);
	word[WORD] = '\0';
	for (int i = 0; i < LINES; i++) {
		errno = ENOENT;
		mwarnerr("%s", word);
	}
	return NULL;
}

/* A line is "PROG: " WORD letters of one kind ": " strerror(ENOENT). */
static int line_whole(const char *line, const char *prefix, const char *tail)
{
	size_t np = strlen(prefix);
	if (strncmp(line, prefix, np) != 0)
		return 0;
	const char *w = line + np;
	for (int i = 0; i < WORD; i++)
		if (w[i] != w[0] || w[i] < 'a' || w[i] >= 'a' + THREADS)
			return 0;
	return strcmp(w + WORD, tail) == 0;
}

static void interleaving(void)
{
	char path[] = "/tmp/test-util.XXXXXX";
	int fd = mkstemp(path), saved = dup(2);
	ok(fd >= 0 && saved >= 0 && dup2(fd, 2) == 2, "stderr to %s", path);
	pthread_t t[THREADS];
	int started = 0;
	for (long i = 0; i < THREADS; i++)
		started += pthread_create(&t[i], NULL, warn_lines, (void *)i) == 0;
	for (int i = 0; i < started; i++)
		pthread_join(t[i], NULL);
	dup2(saved, 2);
	close(saved);
	ok(started == THREADS, "%d threads ran", started);

	char prefix[64], tail[128];
	snprintf(prefix, sizeof prefix, "%s: ", program_invocation_short_name);
	snprintf(tail, sizeof tail, ": %s\n", strerror(ENOENT));
	FILE *f = fdopen(fd, "r");
	rewind(f);
	char *line = NULL;
	size_t cap = 0;
	int lines = 0, whole = 0;
	while (getline(&line, &cap, f) > 0) {
		lines++;
		whole += line_whole(line, prefix, tail);
	}
	free(line);
	fclose(f);
	unlink(path);
	ok(lines == THREADS * LINES, "%d lines, want %d", lines, THREADS * LINES);
	ok(whole == THREADS * LINES, "%d lines whole (one thread's, with its tail), want %d", whole,
	    THREADS * LINES);
}

/* xgrow_zeroed: the index fits, old bytes kept, new bytes zero */
static void growing(void)
{
	unsigned char *p = NULL;
	size_t cap = 0;
	xgrow_zeroed(&p, &cap, 0, 16);
	ok(cap == 16, "first growth: %zu bytes, want 16", cap);
	p[3] = 7;
	xgrow_zeroed(&p, &cap, 15, 16);
	ok(cap == 16, "an index inside: no growth (%zu)", cap);
	xgrow_zeroed(&p, &cap, 100, 16);
	ok(cap == 128, "index 100: %zu bytes, want 128", cap);
	int zero = 1;
	for (size_t i = 16; i < cap; i++)
		zero &= p[i] == 0;
	ok(p[3] == 7 && zero, "old bytes kept, new ones zero");
	free(p);
}

int main(void)
{
	interleaving();
	growing();
	return tap_done();
}
