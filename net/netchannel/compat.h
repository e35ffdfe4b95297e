/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel-version differences, all in one place.  The project builds against
 * Debian 6.1 and 6.12 headers and in a 6.12 tree; everything else in the
 * sources is written for both without #ifdef.
 */
#ifndef _NET_NETCHANNEL_COMPAT_H
#define _NET_NETCHANNEL_COMPAT_H

#include <linux/version.h>
#include <net/genetlink.h>

/*
 * 6.6 moved the parsed attributes of a dump request into an embedded
 * struct genl_info.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 6, 0)
#define nc_dump_attrs(cb) (genl_dumpit_info(cb)->info.attrs)
#else
#define nc_dump_attrs(cb) (genl_dumpit_info(cb)->attrs)
#endif

#endif /* _NET_NETCHANNEL_COMPAT_H */
