// SPDX-License-Identifier: GPL-2.0
/*
 * memlat: the latency of one dependent load by working-set size, on the
 * machine that runs the benchmark.  A flow table lookup at many random
 * flows is a chain of such loads (the bucket, then the entry it points
 * to), so this curve bounds what any per-packet lookup can cost there.
 *
 * Each size is a buffer of 64-byte lines linked in one random cycle: every
 * load's address comes from the one before, so no two overlap and the
 * hardware prefetchers cannot guess the next.  Prints one JSON object,
 * {"MiB": ns per load, ...}, for run.sh to put into host.json.
 *
 * Usage: memlat [MAX_MIB]   (sizes 1, 2, 4, ... up to MAX_MIB, default 64)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define LINE	64
#define LOADS	(8L << 20)	/* timed loads per size: ~1 s at DRAM speed */

/* xorshift64: repeatable, and enough to shuffle */
static uint64_t rnd_next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Link the @n lines of @buf in one random cycle; returns its start. */
static void *link_cycle(char *buf, size_t n, uint64_t *seed)
{
	size_t *order = malloc(n * sizeof(*order));
	size_t i;

	if (!order)
		return NULL;
	for (i = 0; i < n; i++)
		order[i] = i;
	for (i = n - 1; i > 0; i--) {
		size_t j = rnd_next(seed) % (i + 1), t = order[i];

		order[i] = order[j];
		order[j] = t;
	}
	for (i = 0; i < n; i++)
		*(void **)(buf + order[i] * LINE) = buf + order[(i + 1) % n] * LINE;
	buf += order[0] * LINE;
	free(order);
	return buf;
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* ns per load over a cycle of @bytes; negative when out of memory */
static double chase(size_t bytes, uint64_t *seed)
{
	size_t n = bytes / LINE;
	char *buf = aligned_alloc(LINE, bytes);
	void *volatile sink;
	void **p;
	double t0;
	long i;

	if (!buf)
		return -1;
	p = link_cycle(buf, n, seed);
	if (!p) {
		free(buf);
		return -1;
	}
	for (i = 0; i < (long)n; i++)	/* one pass to warm what fits */
		p = *p;
	t0 = now_ns();
	for (i = 0; i < LOADS; i++)
		p = *p;
	t0 = (now_ns() - t0) / LOADS;
	sink = p;
	(void)sink;
	free(buf);
	return t0;
}

int main(int argc, char **argv)
{
	long max = argc > 1 ? strtol(argv[1], NULL, 10) : 64;
	uint64_t seed = 0x9e3779b97f4a7c15ULL;
	const char *sep = "";
	long mib;

	if (max < 1) {
		fprintf(stderr, "usage: memlat [MAX_MIB]\n");
		return 2;
	}
	printf("{");
	for (mib = 1; mib <= max; mib *= 2) {
		double ns = chase((size_t)mib << 20, &seed);

		if (ns < 0) {
			fprintf(stderr, "memlat: no memory for %ld MiB\n", mib);
			return 1;
		}
		printf("%s\"%ld\": %.1f", sep, mib, ns);
		sep = ", ";
	}
	printf("}\n");
	return 0;
}
