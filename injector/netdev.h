/* netdev.h - the injector's way onto the network: the route lookup (source
 * address and interface), a raw IP socket to send, a libpcap handle in
 * immediate mode with a BPF filter to receive, Ethernet frames for ARP/NDP
 * answers, and the reservation of the source port.
 *
 * Receiving strips the link layer (Ethernet with VLAN tags, Linux cooked,
 * raw IP, BSD loopback) and hands the network layer to a callback.
 */
#ifndef SYNFIN_INJ_NETDEV_H
#define SYNFIN_INJ_NETDEV_H

#include <net/if.h>
#include <pcap/pcap.h>

#include "common.h"

#define NETDEV_SNAPLEN 262144u          /* bytes kept of a frame: Linux's own maximum */
#define NETDEV_BUFFER  (16u << 20)      /* capture ring */

typedef struct netdev {
    pcap_t  *pcap;
    int      pcap_fd;
    int      dlt;
    int      raw_fd;          /* raw IP socket (IPPROTO_RAW: header included) */
    int      family;
    char     ifname[IF_NAMESIZE];
    uint8_t  mac[6];          /* the interface's MAC, when it has one */
    bool     has_mac;
    unsigned mtu;
    unsigned snaplen;         /* what the capture keeps of a frame */
    size_t   bufsize;         /* capture ring bytes */
    unsigned long cut_frames; /* frames captured shorter than they were */
    bool     no_direction;    /* pcap_setdirection() failed (not needed for correctness) */
} netdev;

/* What one received frame looks like to the callback. */
typedef struct netdev_frame {
    const uint8_t *l3;        /* network layer (or ARP header) */
    size_t   len;             /* captured bytes from l3 on */
    size_t   wire_len;        /* bytes the frame had from l3 on */
    bool     cut;             /* len < wire_len */
    uint16_t ethertype;       /* 0x0800, 0x86dd, 0x0806 */
    const uint8_t *eth_src;   /* NULL without an Ethernet header */
    int64_t  time_ns;         /* capture time (wall clock) */
} netdev_frame;

typedef void (*netdev_cb)(void *user, const netdev_frame *f);

/* Source address and interface the kernel would use to reach dst.  Fills
 * src (unless src->family is already set) and ifname (unless non-empty).
 * Returns false with a message printed when there is no route. */
bool netdev_route(const inj_addr *dst, inj_addr *src, char ifname[IF_NAMESIZE]);

/* Whether this host (network namespace) owns addr. */
bool netdev_addr_is_local(const inj_addr *addr);

/* Opens the raw socket and the capture.  Returns an INJ_EXIT_* code
 * (INJ_EXIT_PRIV names the missing capability). */
int netdev_open(netdev *nd, int family, const char *ifname, bool bind_iface);
int netdev_set_filter(netdev *nd, const char *bpf);
void netdev_close(netdev *nd);

/* What became of an IP packet handed to the kernel. */
typedef enum netdev_sent {
    NETDEV_SENT,     /* on its way */
    NETDEV_DROPPED,  /* a local firewall rule dropped it (the send's EPERM): a loss on the path,
                      * like any other, which retransmission repairs */
    NETDEV_FAILED    /* any other failure; message printed */
} netdev_sent;

/* Sends a whole IP packet. */
netdev_sent netdev_send_ip(netdev *nd, const uint8_t *pkt, size_t len, const inj_addr *dst);
/* Sends a whole Ethernet frame on the capture interface. */
bool netdev_send_frame(netdev *nd, const uint8_t *frame, size_t len);

/* Delivers every frame waiting now; returns the count or -1 on error. */
int netdev_dispatch(netdev *nd, netdev_cb cb, void *user);

/* Reserves port on addr with a bound TCP socket (so the kernel does not
 * hand it to another connection).  *port == 0 picks a random port outside
 * the ephemeral range.  Returns the socket, -1 when addr is not local (no
 * reservation needed), -2 on failure (message printed), -3 when the given
 * port is in use by this host (nothing printed). */
int netdev_reserve_port(const inj_addr *addr, uint16_t *port);

/* The ports netdev_reserve_port picks from when given none (inclusive). */
void netdev_port_candidates(unsigned *cand_lo, unsigned *cand_hi);

#endif
