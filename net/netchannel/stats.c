// SPDX-License-Identifier: GPL-2.0
/*
 * Per-CPU counters for rules, devices and drop reasons.  The data path only
 * ever touches its own CPU's copy, so counting costs no atomic and no
 * shared cache line; readers sum all CPUs under the u64_stats retry loop,
 * which also makes the 64-bit values safe to read on 32-bit machines.
 */
#include <linux/percpu.h>

#include "nc.h"

struct nc_counters __percpu *nc_counters_alloc(unsigned int n)
{
	struct nc_counters __percpu *c;
	int cpu;

	if (WARN_ON(n > NC_COUNTERS_MAX))
		return NULL;
	c = __alloc_percpu(struct_size_t(struct nc_counters, v, n),
			   __alignof__(u64));
	if (!c)
		return NULL;
	for_each_possible_cpu(cpu)
		u64_stats_init(&per_cpu_ptr(c, cpu)->syncp);
	return c;
}
EXPORT_SYMBOL_GPL(nc_counters_alloc);

/* Sum of each of the @n counters over all CPUs, into @out. */
void nc_counters_read(struct nc_counters __percpu *c, unsigned int n,
		      u64 *out)
{
	unsigned int start, i;
	int cpu;

	memset(out, 0, n * sizeof(*out));
	for_each_possible_cpu(cpu) {
		const struct nc_counters *s = per_cpu_ptr(c, cpu);
		u64 v[NC_COUNTERS_MAX];

		if (WARN_ON_ONCE(n > ARRAY_SIZE(v)))
			return;
		do {
			start = u64_stats_fetch_begin(&s->syncp);
			for (i = 0; i < n; i++)
				v[i] = u64_stats_read(&s->v[i]);
		} while (u64_stats_fetch_retry(&s->syncp, start));
		for (i = 0; i < n; i++)
			out[i] += v[i];
	}
}
EXPORT_SYMBOL_GPL(nc_counters_read);
