/* privdrop.c - capability sets reduced with capget/capset and the bounding
 * set with PR_CAPBSET_DROP (see privdrop.h).  No libcap: two syscalls. */
#define _GNU_SOURCE
#include "privdrop.h"

#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

static int last_cap(void)
{
    int last = CAP_LAST_CAP;
    FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
    if (f) {
        if (fscanf(f, "%d", &last) != 1 || last < 0 || last > 63)
            last = CAP_LAST_CAP;
        fclose(f);
    }
    return last;
}

int priv_drop(bool keep_admin, bool keep_bind, bool verbose)
{
    uint64_t keep = 1ull << CAP_NET_RAW;
    if (keep_admin)
        keep |= 1ull << CAP_NET_ADMIN;
    if (keep_bind)
        keep |= 1ull << CAP_NET_BIND_SERVICE;

    struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
    struct __user_cap_data_struct d[2];
    memset(d, 0, sizeof d);
    if (syscall(SYS_capget, &hdr, d) != 0) {
        inj_error("capget: %s", strerror(errno));
        return INJ_EXIT_FAIL;
    }
    uint64_t prm = (uint64_t)d[1].permitted << 32 | d[0].permitted;
    uint64_t inh = (uint64_t)d[1].inheritable << 32 | d[0].inheritable;
    keep &= prm;   /* what we never had we cannot keep */

    /* the bounding set first, while CAP_SETPCAP may still be ours (without
     * it, as a non-root user with file capabilities, there is nothing in
     * the permitted set beyond keep to fear) */
    int last = last_cap();
    for (int c = 0; c <= last; c++)
        if (!(keep & (1ull << c)) && prctl(PR_CAPBSET_READ, c, 0, 0, 0) == 1)
            if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) != 0 && errno != EPERM && errno != EINVAL) {
                inj_error("cannot drop capability %d from the bounding set: %s", c, strerror(errno));
                return INJ_EXIT_FAIL;
            }
    (void)prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);   /* absent before Linux 4.3 */

    inh &= keep;
    d[0].effective = d[0].permitted = (uint32_t)keep;
    d[1].effective = d[1].permitted = (uint32_t)(keep >> 32);
    d[0].inheritable = (uint32_t)inh;
    d[1].inheritable = (uint32_t)(inh >> 32);
    if (syscall(SYS_capset, &hdr, d) != 0) {
        inj_error("capset: %s", strerror(errno));
        return INJ_EXIT_FAIL;
    }
    if (verbose)
        inj_msg("note", "capabilities dropped: keeping CAP_NET_RAW%s%s only", keep_admin ? ", CAP_NET_ADMIN" : "",
                keep_bind ? ", CAP_NET_BIND_SERVICE" : "");
    return INJ_EXIT_OK;
}
