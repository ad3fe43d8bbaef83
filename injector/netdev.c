/* netdev.c - route lookup, raw socket, libpcap capture, port reservation. */
#define _GNU_SOURCE
#include "netdev.h"

#include <errno.h>
#include <ifaddrs.h>
#include <linux/if_packet.h>
#include <net/if_arp.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

bool netdev_addr_is_local(const inj_addr *addr)
{
    struct ifaddrs *ifa = NULL, *p;
    bool found = false;
    if (getifaddrs(&ifa) != 0)
        return false;
    for (p = ifa; p && !found; p = p->ifa_next) {
        if (!p->ifa_addr || p->ifa_addr->sa_family != addr->family)
            continue;
        if (addr->family == AF_INET)
            found = memcmp(&((struct sockaddr_in *)p->ifa_addr)->sin_addr, addr->a, 4) == 0;
        else
            found = memcmp(&((struct sockaddr_in6 *)p->ifa_addr)->sin6_addr, addr->a, 16) == 0;
    }
    freeifaddrs(ifa);
    /* 127.0.0.0/8 is local as a whole (route table "local"), not per address. */
    if (!found && addr->family == AF_INET && addr->a[0] == 127)
        found = true;
    return found;
}

/* Interface that owns addr, or "" */
static void iface_of(const inj_addr *addr, char ifname[IF_NAMESIZE])
{
    struct ifaddrs *ifa = NULL, *p;
    ifname[0] = 0;
    if (getifaddrs(&ifa) != 0)
        return;
    for (p = ifa; p; p = p->ifa_next) {
        if (!p->ifa_addr || p->ifa_addr->sa_family != addr->family)
            continue;
        bool eq = addr->family == AF_INET
            ? memcmp(&((struct sockaddr_in *)p->ifa_addr)->sin_addr, addr->a, 4) == 0
            : memcmp(&((struct sockaddr_in6 *)p->ifa_addr)->sin6_addr, addr->a, 16) == 0;
        if (eq) {
            snprintf(ifname, IF_NAMESIZE, "%s", p->ifa_name);
            break;
        }
    }
    freeifaddrs(ifa);
}

/* The source address the kernel picks for dst (connect() on a UDP socket). */
static bool route_source(const inj_addr *dst, inj_addr *src)
{
    char dbuf[INET6_ADDRSTRLEN];
    int fd = socket(dst->family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        inj_error("socket: %s", strerror(errno));
        return false;
    }
    struct sockaddr_storage ss;
    unsigned sl;
    inj_addr_to_sockaddr(dst, 9, &ss, &sl);
    if (connect(fd, (struct sockaddr *)&ss, sl) != 0) {
        inj_error("no route to %s: %s", inj_addr_str(dst, dbuf, sizeof dbuf), strerror(errno));
        close(fd);
        return false;
    }
    socklen_t l = sizeof ss;
    getsockname(fd, (struct sockaddr *)&ss, &l);
    close(fd);
    memset(src, 0, sizeof *src);
    src->family = dst->family;
    if (dst->family == AF_INET)
        memcpy(src->a, &((struct sockaddr_in *)&ss)->sin_addr, 4);
    else
        memcpy(src->a, &((struct sockaddr_in6 *)&ss)->sin6_addr, 16);
    return true;
}

bool netdev_route(const inj_addr *dst, inj_addr *src, char ifname[IF_NAMESIZE])
{
    char dbuf[INET6_ADDRSTRLEN];
    inj_addr rsrc;
    if (!route_source(dst, &rsrc))
        return false;
    if (src->family == 0)
        *src = rsrc;
    if (ifname[0] == 0) {
        if (netdev_addr_is_local(dst)) {
            snprintf(ifname, IF_NAMESIZE, "lo");   /* traffic to ourselves goes through lo */
        } else {
            /* the interface owning the route's own source address carries the route */
            iface_of(&rsrc, ifname);
            if (ifname[0] == 0) {
                inj_error("cannot tell which interface reaches %s; use --iface", inj_addr_str(dst, dbuf, sizeof dbuf));
                return false;
            }
        }
    }
    return true;
}

int netdev_open(netdev *nd, int family, const char *ifname, bool bind_iface)
{
    char err[PCAP_ERRBUF_SIZE] = "";
    memset(nd, 0, sizeof *nd);
    nd->raw_fd = -1;
    nd->pcap_fd = -1;
    nd->family = family;
    snprintf(nd->ifname, sizeof nd->ifname, "%s", ifname);

    nd->raw_fd = socket(family, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
    if (nd->raw_fd < 0) {
        if (errno == EPERM || errno == EACCES) {
            inj_error("a raw socket needs CAP_NET_RAW (run as root or grant cap_net_raw,cap_net_admin)");
            return INJ_EXIT_PRIV;
        }
        inj_error("raw socket: %s", strerror(errno));
        return INJ_EXIT_FAIL;
    }
    if (bind_iface && setsockopt(nd->raw_fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, (socklen_t)strlen(ifname)) != 0) {
        inj_error("cannot bind to interface %s: %s", ifname, strerror(errno));
        return errno == EPERM ? INJ_EXIT_PRIV : INJ_EXIT_USAGE;
    }

    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", ifname);
    if (ioctl(nd->raw_fd, SIOCGIFMTU, &ifr) != 0) {
        inj_error("no interface %s: %s", ifname, strerror(errno));
        return INJ_EXIT_USAGE;
    }
    nd->mtu = (unsigned)ifr.ifr_mtu;
    if (ioctl(nd->raw_fd, SIOCGIFHWADDR, &ifr) == 0 && ifr.ifr_hwaddr.sa_family == ARPHRD_ETHER) {
        memcpy(nd->mac, ifr.ifr_hwaddr.sa_data, 6);
        nd->has_mac = true;
    }

    nd->pcap = pcap_create(ifname, err);
    if (!nd->pcap) {
        inj_error("pcap_create %s: %s", ifname, err);
        return INJ_EXIT_FAIL;
    }
    /* Every frame whole: loopback's 64 KB MTU, GRO/GSO aggregates and BIG TCP
     * give frames beyond 65535 bytes; a cut segment's data is never used, so
     * a short snaplen would make the server retransmit the same cut segment
     * for ever.  The ring holds several advertised windows of such frames. */
    const char *what = NULL;
    if (pcap_set_snaplen(nd->pcap, NETDEV_SNAPLEN) != 0)
        what = "snapshot length";
    else if (pcap_set_promisc(nd->pcap, 0) != 0)
        what = "promiscuous mode";
    else if (pcap_set_timeout(nd->pcap, 10) != 0)
        what = "timeout";
    /* Without immediate mode TPACKET_V3 holds packets for a whole buffer timeout. */
    else if (pcap_set_immediate_mode(nd->pcap, 1) != 0)
        what = "immediate mode";
    else if (pcap_set_buffer_size(nd->pcap, (int)NETDEV_BUFFER) != 0)
        what = "buffer size";
    if (what) {
        inj_error("cannot set the capture's %s on %s: %s", what, ifname, pcap_geterr(nd->pcap));
        return INJ_EXIT_FAIL;
    }
    nd->bufsize = NETDEV_BUFFER;
    int rc = pcap_activate(nd->pcap);
    if (rc == PCAP_ERROR_PERM_DENIED) {
        inj_error("capturing on %s needs CAP_NET_RAW", ifname);
        return INJ_EXIT_PRIV;
    }
    if (rc == PCAP_ERROR_NO_SUCH_DEVICE) {
        inj_error("no interface %s", ifname);
        return INJ_EXIT_USAGE;
    }
    if (rc < 0) {
        inj_error("cannot capture on %s: %s", ifname, pcap_geterr(nd->pcap));
        return INJ_EXIT_FAIL;
    }
    nd->dlt = pcap_datalink(nd->pcap);
    switch (nd->dlt) {
    case DLT_EN10MB: case DLT_LINUX_SLL: case DLT_RAW: case DLT_IPV4: case DLT_IPV6: case DLT_NULL:
        break;
    default:
        inj_error("interface %s has an unsupported link type (%s)", ifname, pcap_datalink_val_to_name(nd->dlt));
        return INJ_EXIT_USAGE;
    }
    nd->snaplen = (unsigned)pcap_snapshot(nd->pcap);
    if (nd->snaplen < NETDEV_SNAPLEN) {
        inj_error("the capture on %s keeps only %u bytes of a frame (%u needed)", ifname, nd->snaplen, NETDEV_SNAPLEN);
        return INJ_EXIT_FAIL;
    }
    /* a filter in userspace on Linux (the BPF filter does the work): the
     * outgoing copies it removes are only a cost, never needed */
    if (pcap_setdirection(nd->pcap, PCAP_D_IN) != 0)
        nd->no_direction = true;   /* libpcap then hands them over: they match no flow of ours */
#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif
    /* ... and the kernel's own (Linux 4.20+): the interface's outgoing copies
     * are not even cloned for this socket.  On lo every segment passes the tap
     * twice, and the server's outgoing copy matches the BPF filter: without
     * this it is copied into the ring and wakes us, only for libpcap to drop
     * it (PCAP_D_IN, and lo's duplicates).  Older kernels: libpcap still drops
     * them, at that cost. */
    int one = 1;
    (void)setsockopt(pcap_fileno(nd->pcap), SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one);
    if (pcap_setnonblock(nd->pcap, 1, err) != 0) {
        inj_error("pcap_setnonblock: %s", err);
        return INJ_EXIT_FAIL;
    }
    nd->pcap_fd = pcap_get_selectable_fd(nd->pcap);
    if (nd->pcap_fd < 0) {
        inj_error("%s cannot be polled", ifname);
        return INJ_EXIT_FAIL;
    }
    return INJ_EXIT_OK;
}

int netdev_set_filter(netdev *nd, const char *bpf)
{
    struct bpf_program prog;
    if (pcap_compile(nd->pcap, &prog, bpf, 1, PCAP_NETMASK_UNKNOWN) != 0) {
        inj_error("BPF filter \"%s\": %s", bpf, pcap_geterr(nd->pcap));
        return INJ_EXIT_FAIL;
    }
    int rc = pcap_setfilter(nd->pcap, &prog);
    pcap_freecode(&prog);
    if (rc != 0) {
        inj_error("pcap_setfilter: %s", pcap_geterr(nd->pcap));
        return INJ_EXIT_FAIL;
    }
    return INJ_EXIT_OK;
}

void netdev_close(netdev *nd)
{
    if (nd->pcap)
        pcap_close(nd->pcap);
    if (nd->raw_fd >= 0)
        close(nd->raw_fd);
    nd->pcap = NULL;
    nd->raw_fd = -1;
}

netdev_sent netdev_send_ip(netdev *nd, const uint8_t *pkt, size_t len, const inj_addr *dst)
{
    struct sockaddr_storage ss;
    unsigned sl;
    inj_addr_to_sockaddr(dst, 0, &ss, &sl);
    for (;;) {
        ssize_t n = sendto(nd->raw_fd, pkt, len, 0, (struct sockaddr *)&ss, sl);
        if (n == (ssize_t)len)
            return NETDEV_SENT;
        if (n < 0 && errno == EINTR)
            continue;
        /* Netfilter's output hook answers a dropped packet with EPERM; the
         * socket itself was opened with the capability it needs. */
        if (n < 0 && errno == EPERM)
            return NETDEV_DROPPED;
        if (n < 0 && errno == EMSGSIZE) {
            inj_error("segment of %zu bytes is larger than the path MTU", len);
            return NETDEV_FAILED;
        }
        inj_error("send: %s", n < 0 ? strerror(errno) : "short write");
        return NETDEV_FAILED;
    }
}

bool netdev_send_frame(netdev *nd, const uint8_t *frame, size_t len)
{
    if (pcap_inject(nd->pcap, frame, len) != (int)len) {
        inj_error("pcap_inject on %s: %s", nd->ifname, pcap_geterr(nd->pcap));
        return false;
    }
    return true;
}

struct dispatch_ctx {
    netdev *nd;
    netdev_cb cb;
    void *user;
};

static void on_pcap(u_char *u, const struct pcap_pkthdr *h, const u_char *bytes)
{
    struct dispatch_ctx *d = (struct dispatch_ctx *)u;
    netdev_frame f;
    size_t cap = h->caplen, off = 0;
    memset(&f, 0, sizeof f);
    f.time_ns = (int64_t)h->ts.tv_sec * 1000000000 + (int64_t)h->ts.tv_usec * 1000;
    switch (d->nd->dlt) {
    case DLT_EN10MB:
        if (cap < 14)
            return;
        f.eth_src = bytes + 6;
        f.ethertype = (uint16_t)(bytes[12] << 8 | bytes[13]);
        off = 14;
        while ((f.ethertype == 0x8100 || f.ethertype == 0x88a8) && cap >= off + 4) {
            f.ethertype = (uint16_t)(bytes[off + 2] << 8 | bytes[off + 3]);
            off += 4;
        }
        break;
    case DLT_LINUX_SLL:
        if (cap < 16)
            return;
        f.ethertype = (uint16_t)(bytes[14] << 8 | bytes[15]);
        off = 16;
        break;
    case DLT_NULL:
        if (cap < 4)
            return;
        off = 4;
        /* fall through - the family word is host-order; look at the IP version */
    default:
        if (cap <= off)
            return;
        f.ethertype = (bytes[off] >> 4) == 6 ? 0x86dd : 0x0800;
        break;
    }
    if (cap <= off)
        return;
    f.l3 = bytes + off;
    f.len = cap - off;
    f.wire_len = h->len > off ? h->len - off : 0;
    f.cut = h->caplen < h->len;
    if (f.cut)
        d->nd->cut_frames++;
    d->cb(d->user, &f);
}

int netdev_dispatch(netdev *nd, netdev_cb cb, void *user)
{
    struct dispatch_ctx d = { nd, cb, user };
    int n = pcap_dispatch(nd->pcap, -1, on_pcap, (u_char *)&d);
    if (n == PCAP_ERROR) {
        inj_error("capture on %s: %s", nd->ifname, pcap_geterr(nd->pcap));
        return -1;
    }
    return n < 0 ? 0 : n;
}

/* The kernel's ephemeral range, read once per run (the /proc read is not
 * repeated for every exchange of --count). */
static void ephemeral_range(unsigned *lo, unsigned *hi)
{
    static unsigned e_lo, e_hi;
    if (!e_hi) {
        e_lo = 32768;
        e_hi = 60999;
        FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "re");
        if (f) {
            unsigned a, b;
            if (fscanf(f, "%u %u", &a, &b) == 2 && a <= b && b <= 65535) {
                e_lo = a;
                e_hi = b;
            }
            fclose(f);
        }
    }
    *lo = e_lo;
    *hi = e_hi;
}

void netdev_port_candidates(unsigned *cand_lo, unsigned *cand_hi)
{
    unsigned lo, hi;
    ephemeral_range(&lo, &hi);
    /* above the ephemeral range if there is room, else below it */
    *cand_lo = hi + 1;
    *cand_hi = 65535;
    if (*cand_lo > 65000) {
        *cand_lo = 1024;
        *cand_hi = lo > 1025 ? lo - 1 : 1024;
    }
}

int netdev_reserve_port(const inj_addr *addr, uint16_t *port)
{
    unsigned lo, hi, cand_lo, cand_hi;
    ephemeral_range(&lo, &hi);
    netdev_port_candidates(&cand_lo, &cand_hi);
    for (int attempt = 0; attempt < 64; attempt++) {
        uint16_t p = *port;
        if (p == 0) {
            uint32_t r = 0;
            inj_random(&r, sizeof r);
            p = (uint16_t)(cand_lo + r % (cand_hi - cand_lo + 1));
        }
        int fd = socket(addr->family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            inj_error("socket: %s", strerror(errno));
            return -2;
        }
        if (addr->family == AF_INET6) {
            int one = 1;
            setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
        }
        struct sockaddr_storage ss;
        unsigned sl;
        inj_addr_to_sockaddr(addr, p, &ss, &sl);
        if (bind(fd, (struct sockaddr *)&ss, sl) == 0) {
            *port = p;
            return fd;
        }
        int e = errno;
        close(fd);
        if (e == EADDRNOTAVAIL) {
            *port = p;
            return -1;
        }   /* not our address: the kernel will not answer for it */
        if (e == EADDRINUSE && *port == 0)
            continue;
        if (e == EADDRINUSE)
            return -3;   /* the kernel has it in use: the caller says so or picks another */
        inj_error("cannot reserve source port %u: %s", p, strerror(e));
        return -2;
    }
    inj_error("no free source port outside the ephemeral range %u-%u", lo, hi);
    return -2;
}
