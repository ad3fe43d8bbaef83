/* rstguard.h - keeping the local kernel from resetting the hand-made
 * connection.
 *
 * The guard drops the server's segments for the injector's flow before the
 * kernel's TCP sees them (prerouting, raw priority, so neither conntrack nor
 * TCP reacts); libpcap still captures them because the packet tap runs
 * first.  Methods:
 *   nft       a private table "synfin_inject_<pid>" created through
 *             libnftables with "flags owner": the kernel deletes it when the
 *             process dies, even on SIGKILL;
 *   iptables  a raw-table PREROUTING rule (ip6tables for IPv6) commented
 *             "synfin-inject:<pid>"; removed on every exit path, and by
 *             --cleanup after a killed run; the empty nft table iptables-nft
 *             leaves behind is deleted too if it was not there before;
 *   none      nothing (an unowned source address needs nothing: the kernel
 *             drops the replies silently).
 */
#ifndef SYNFIN_INJ_RSTGUARD_H
#define SYNFIN_INJ_RSTGUARD_H

#include "common.h"

typedef enum rstguard_method {
    RSTGUARD_AUTO = 0, RSTGUARD_NFT, RSTGUARD_IPTABLES, RSTGUARD_NONE
} rstguard_method;

typedef struct rstguard {
    rstguard_method method;    /* the one in use */
    struct nft_ctx *nft;
    char table[48];
    bool rule_active;          /* iptables: a rule is installed */
    bool raw_table_before;     /* iptables-nft: nft table ip/ip6 raw existed at open */
    char rule[5][48];          /* iptables: saddr, daddr, sport, dport, comment */
    int  family;
    bool verbose;
} rstguard;

/* Sets the guard up (no rule yet).  want = AUTO tries nft, then iptables.
 * Returns an INJ_EXIT_* code; INJ_EXIT_PRIV names CAP_NET_ADMIN. */
int rstguard_open(rstguard *g, rstguard_method want, int family, bool verbose);

/* Drops server -> client segments to the client ports port_lo..port_hi
 * (one flow when they are equal; with --count, every port the run may use,
 * so that the rule is made once per run, not once per exchange); replaces
 * the previous rule. */
int rstguard_cover(rstguard *g, const inj_addr *server, uint16_t sport_server,
                   const inj_addr *client, uint16_t port_lo, uint16_t port_hi);

/* Removes every rule and the table; safe to call twice. */
void rstguard_close(rstguard *g);

/* --cleanup: removes what killed runs left (nft tables named synfin_inject_*
 * whose process is gone, iptables/ip6tables rules commented synfin-inject:*).
 * Returns an INJ_EXIT_* code and prints what it removed unless quiet. */
int rstguard_cleanup(bool quiet);

const char *rstguard_method_name(rstguard_method m);

#endif
