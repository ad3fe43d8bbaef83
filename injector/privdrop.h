/* privdrop.h - after setup, keep only the capabilities still needed.
 *
 * Once the raw socket, the capture, the output files and the RST guard are
 * open, synfin-inject needs CAP_NET_RAW (sending on its raw socket is
 * checked when it was opened, but libpcap's ARP/NDP answers and the capture
 * stay raw-socket work) and, while a guard's rules must still be changed
 * and removed, CAP_NET_ADMIN; CAP_NET_BIND_SERVICE only for a source port
 * below 1024.  Everything else leaves the bounding, permitted, effective,
 * inheritable and ambient sets, so that neither this process nor anything
 * it runs (iptables for the iptables guard) can get it back.
 */
#ifndef SYNFIN_INJ_PRIVDROP_H
#define SYNFIN_INJ_PRIVDROP_H

#include "common.h"

/* Drops every capability but CAP_NET_RAW (+ CAP_NET_ADMIN when keep_admin,
 * + CAP_NET_BIND_SERVICE when keep_bind).  Returns an INJ_EXIT_* code
 * (message printed on failure). */
int priv_drop(bool keep_admin, bool keep_bind, bool verbose);

#endif
