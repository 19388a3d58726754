// rtnetlink(7) by hand: the few link, address and route requests a bridge
// network needs, one message each, so no `ip` is forked per container.
//
// Two callers: the parent (Swift) makes bridges and veth pairs; the child
// (child.c) configures its own eth0 inside its new network namespace. The
// child's rules hold here too: stack buffers only, raw syscalls, no malloc.
#define _GNU_SOURCE
#include "CShims.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <linux/if_link.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

// lo is down in a new network namespace. An ioctl on a socket of the
// caller's namespace brings it up: the child's, or the thread's below.
int sr_loopback_up(void) {
    int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (sock < 0) return -1;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    memcpy(ifr.ifr_name, "lo", 3);
    int rc = ioctl(sock, SIOCGIFFLAGS, &ifr);
    if (rc == 0) {
        ifr.ifr_flags |= IFF_UP;
        rc = ioctl(sock, SIOCSIFFLAGS, &ifr);
    }
    int saved = errno;
    close(sock);
    errno = saved;
    return rc;
}

// A new network namespace with lo up, as an O_CLOEXEC fd, which keeps it
// alive. unshare moves only the calling thread into it (namespaces belong
// to tasks), so the caller is a thread that ends afterwards, whatever
// this returns.
int sr_network_namespace_new(void) {
    if (unshare(CLONE_NEWNET) < 0 || sr_loopback_up() < 0) return -1;
    return open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
}

// One request under construction. 1 KiB holds the largest (a veth pair
// with its peer's name, namespace and address).
typedef struct {
    union {
        struct nlmsghdr header;
        char bytes[1024];
    };
} request;

static void *tail(request *r) { return r->bytes + NLMSG_ALIGN(r->header.nlmsg_len); }

static int add_attribute(request *r, unsigned short type, const void *data, size_t length) {
    size_t size = RTA_LENGTH(length);
    if (NLMSG_ALIGN(r->header.nlmsg_len) + RTA_ALIGN(size) > sizeof r->bytes) {
        errno = EMSGSIZE;
        return -1;
    }
    struct rtattr *a = tail(r);
    a->rta_type = type;
    a->rta_len = (unsigned short)size;
    if (length > 0) memcpy(RTA_DATA(a), data, length);
    r->header.nlmsg_len = NLMSG_ALIGN(r->header.nlmsg_len) + RTA_ALIGN(size);
    return 0;
}

static int add_string(request *r, unsigned short type, const char *s) { return add_attribute(r, type, s, strlen(s) + 1); }

// A nested attribute: begin returns it, end fixes its length.
static struct rtattr *begin_nest(request *r, unsigned short type) {
    struct rtattr *a = tail(r);
    return add_attribute(r, type, NULL, 0) < 0 ? NULL : a;
}

static void end_nest(request *r, struct rtattr *nest) {
    nest->rta_len = (unsigned short)((char *)tail(r) - (char *)nest);
}

static void *begin(request *r, unsigned short type, unsigned short flags, size_t body) {
    memset(r, 0, sizeof *r);
    r->header.nlmsg_len = NLMSG_LENGTH(body);
    r->header.nlmsg_type = type;
    r->header.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
    return NLMSG_DATA(&r->header);
}

// Sends R and reads the kernel's ack: 0, or -1 with the kernel's errno.
static int transact(int socket, request *r) {
    static __thread unsigned int sequence;
    r->header.nlmsg_seq = ++sequence;
    struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
    ssize_t sent;
    do {
        sent = sendto(socket, r->bytes, r->header.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof kernel);
    } while (sent < 0 && errno == EINTR);
    if (sent < 0) return -1;
    char reply[512];
    for (;;) {
        ssize_t n = recv(socket, reply, sizeof reply, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        for (struct nlmsghdr *h = (struct nlmsghdr *)reply; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
            if (h->nlmsg_seq != r->header.nlmsg_seq || h->nlmsg_type != NLMSG_ERROR) continue;
            int err = ((struct nlmsgerr *)NLMSG_DATA(h))->error;
            if (err == 0) return 0;
            errno = -err;
            return -1;
        }
    }
}

int sr_netlink_open(void) {
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (fd < 0) return -1;
    struct sockaddr_nl self = {.nl_family = AF_NETLINK};
    if (bind(fd, (struct sockaddr *)&self, sizeof self) < 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

int sr_link_index(const char *name) {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    size_t len = strlen(name);
    if (len >= IFNAMSIZ) {
        close(fd);
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(ifr.ifr_name, name, len + 1);
    int rc = ioctl(fd, SIOCGIFINDEX, &ifr);
    int saved = errno;
    close(fd);
    errno = saved;
    return rc < 0 ? -1 : ifr.ifr_ifindex;
}

int sr_netlink_add_bridge(int socket, const char *name, uint32_t mtu, const unsigned char mac[6]) {
    request r;
    struct ifinfomsg *info = begin(&r, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, sizeof *info);
    info->ifi_family = AF_UNSPEC;
    if (add_string(&r, IFLA_IFNAME, name) < 0) return -1;
    if (add_attribute(&r, IFLA_MTU, &mtu, sizeof mtu) < 0) return -1;
    if (add_attribute(&r, IFLA_ADDRESS, mac, 6) < 0) return -1;
    struct rtattr *linkinfo = begin_nest(&r, IFLA_LINKINFO);
    if (linkinfo == NULL || add_string(&r, IFLA_INFO_KIND, "bridge") < 0) return -1;
    end_nest(&r, linkinfo);
    return transact(socket, &r);
}

int sr_netlink_add_veth_in(int socket, const char *name, int master, uint32_t mtu, const char *peer, int peer_netns,
                           const unsigned char peer_mac[6]) {
    uint32_t ns = (uint32_t)peer_netns;
    request r;
    struct ifinfomsg *info = begin(&r, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, sizeof *info);
    info->ifi_family = AF_UNSPEC;
    info->ifi_flags = IFF_UP;
    info->ifi_change = IFF_UP;
    if (add_string(&r, IFLA_IFNAME, name) < 0) return -1;
    if (add_attribute(&r, IFLA_MASTER, &master, sizeof master) < 0) return -1;
    if (add_attribute(&r, IFLA_MTU, &mtu, sizeof mtu) < 0) return -1;
    struct rtattr *linkinfo = begin_nest(&r, IFLA_LINKINFO);
    if (linkinfo == NULL || add_string(&r, IFLA_INFO_KIND, "veth") < 0) return -1;
    struct rtattr *data = begin_nest(&r, IFLA_INFO_DATA);
    struct rtattr *peer_info = data == NULL ? NULL : begin_nest(&r, VETH_INFO_PEER);
    if (peer_info == NULL) return -1;
    // The peer's own ifinfomsg comes first, then its attributes.
    if ((size_t)(NLMSG_ALIGN(r.header.nlmsg_len) + sizeof(struct ifinfomsg)) > sizeof r.bytes) {
        errno = EMSGSIZE;
        return -1;
    }
    memset(tail(&r), 0, sizeof(struct ifinfomsg));
    r.header.nlmsg_len = NLMSG_ALIGN(r.header.nlmsg_len) + NLMSG_ALIGN(sizeof(struct ifinfomsg));
    if (add_string(&r, IFLA_IFNAME, peer) < 0) return -1;
    if (add_attribute(&r, IFLA_NET_NS_FD, &ns, sizeof ns) < 0) return -1;
    if (add_attribute(&r, IFLA_MTU, &mtu, sizeof mtu) < 0) return -1;
    if (add_attribute(&r, IFLA_ADDRESS, peer_mac, 6) < 0) return -1;
    end_nest(&r, peer_info);
    end_nest(&r, data);
    end_nest(&r, linkinfo);
    return transact(socket, &r);
}

int sr_netlink_delete_link(int socket, int index) {
    request r;
    struct ifinfomsg *info = begin(&r, RTM_DELLINK, 0, sizeof *info);
    info->ifi_family = AF_UNSPEC;
    info->ifi_index = index;
    return transact(socket, &r);
}

int sr_netlink_set_address(int socket, int index, const unsigned char mac[6]) {
    request r;
    struct ifinfomsg *info = begin(&r, RTM_NEWLINK, 0, sizeof *info);
    info->ifi_family = AF_UNSPEC;
    info->ifi_index = index;
    if (add_attribute(&r, IFLA_ADDRESS, mac, 6) < 0) return -1;
    return transact(socket, &r);
}

int sr_netlink_link_up(int socket, int index) {
    request r;
    struct ifinfomsg *info = begin(&r, RTM_NEWLINK, 0, sizeof *info);
    info->ifi_family = AF_UNSPEC;
    info->ifi_index = index;
    info->ifi_flags = IFF_UP;
    info->ifi_change = IFF_UP;
    return transact(socket, &r);
}

int sr_netlink_add_address(int socket, int index, uint32_t address, int prefix) {
    request r;
    struct ifaddrmsg *info = begin(&r, RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE, sizeof *info);
    info->ifa_family = AF_INET;
    info->ifa_prefixlen = (unsigned char)prefix;
    info->ifa_scope = RT_SCOPE_UNIVERSE;
    info->ifa_index = (unsigned)index;
    uint32_t broadcast = prefix >= 31 ? address : address | htonl(0xffffffffu >> prefix);
    if (add_attribute(&r, IFA_LOCAL, &address, 4) < 0 || add_attribute(&r, IFA_ADDRESS, &address, 4) < 0 ||
        add_attribute(&r, IFA_BROADCAST, &broadcast, 4) < 0)
        return -1;
    return transact(socket, &r);
}

int sr_netlink_configure(const char *name, uint32_t address, int prefix, uint32_t gateway) {
    int nl = sr_netlink_open();
    if (nl < 0) return SR_CONFIGURE_FIND;
    int failed = 0;
    int index = sr_link_index(name);
    if (index < 0)
        failed = SR_CONFIGURE_FIND;
    else if (sr_netlink_add_address(nl, index, address, prefix) < 0)
        failed = SR_CONFIGURE_ADDRESS;
    else if (sr_netlink_link_up(nl, index) < 0)
        failed = SR_CONFIGURE_UP;
    else if (gateway != 0 && sr_netlink_add_default_route(nl, gateway) < 0)
        failed = SR_CONFIGURE_ROUTE;
    int saved = errno;
    close(nl);
    errno = saved;
    return failed;
}

int sr_netlink_add_default_route(int socket, uint32_t gateway) {
    request r;
    struct rtmsg *info = begin(&r, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, sizeof *info);
    info->rtm_family = AF_INET;
    info->rtm_table = RT_TABLE_MAIN;
    info->rtm_protocol = RTPROT_BOOT;
    info->rtm_scope = RT_SCOPE_UNIVERSE;
    info->rtm_type = RTN_UNICAST;
    if (add_attribute(&r, RTA_GATEWAY, &gateway, 4) < 0) return -1;
    return transact(socket, &r);
}

// A running container's namespace, entered by this thread only for as long
// as one request takes: the network namespace is per thread, and a
// netlink socket stays in the namespace it was made in. Leaving must not
// fail; a thread left in a container's namespace would be worse than an
// abort.
static int enter_netns(int target) {
    int home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (home < 0) return -1;
    if (setns(target, CLONE_NEWNET) < 0) {
        int saved = errno;
        close(home);
        errno = saved;
        return -1;
    }
    return home;
}

static void leave_netns(int home) {
    if (setns(home, CLONE_NEWNET) < 0) abort();
    close(home);
}

int sr_netns_open(int pidfd) {
    int home = enter_netns(pidfd);
    if (home < 0) return -1;
    int fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    int saved = errno;
    leave_netns(home);
    errno = saved;
    return fd;
}

int sr_netlink_configure_in(int netns, const char *name, uint32_t address, int prefix, uint32_t gateway) {
    int home = enter_netns(netns);
    if (home < 0) return -1;
    int failed = sr_netlink_configure(name, address, prefix, gateway);
    int saved = errno;
    leave_netns(home);
    errno = saved;
    return failed == 0 ? 0 : -1;
}

// nf_tables set elements (nfnetlink), for published ports: one batch of
// begin, the element, end, sent on a NETLINK_NETFILTER socket. libnftables
// would parse a command and read the ruleset first, about 10 ms a port;
// this is one round trip. The table and its rules are still made by
// libnftables (Firewall.swift), once per boot.
static void batch_marker(struct nlmsghdr *h, uint16_t type, uint32_t seq) {
    memset(h, 0, NLMSG_LENGTH(sizeof(struct nfgenmsg)));
    h->nlmsg_len = NLMSG_LENGTH(sizeof(struct nfgenmsg));
    h->nlmsg_type = type;
    h->nlmsg_flags = NLM_F_REQUEST;
    h->nlmsg_seq = seq;
    struct nfgenmsg *g = NLMSG_DATA(h);
    g->nfgen_family = AF_UNSPEC;
    g->version = NFNETLINK_V0;
    g->res_id = htons(NFNL_SUBSYS_NFTABLES);
}

static int add_data(request *r, unsigned short type, const uint8_t *value, size_t length) {
    struct rtattr *outer = begin_nest(r, type | NLA_F_NESTED);
    if (outer == NULL || add_attribute(r, NFTA_DATA_VALUE, value, length) < 0) return -1;
    end_nest(r, outer);
    return 0;
}

int sr_nft_open(void) { return socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER); }

// The last close of an nfnetlink socket waits for nf_tables to finish
// freeing what recent commits replaced or deleted, an RCU grace period
// later (nft_rcv_nl_event flushes that work): 5-8 ms on a small VM, at
// the exit of every `run --rm -p`, between the container's exit and its
// caller's. A forked child takes over that close. It drops every other
// fd first, so no pipe of the caller's stays open behind us, then waits
// until this process has let go of its own reference (the gate's EOF), so
// that its close is the last one, and exits after the wait. Its exit
// signal is none: no wait(2) of ours reaps it, and once we are gone it is
// init's (or the subreaper's) to reap. Without a child the close is ours,
// as before.
void sr_close_in_child(int fd) {
    int gate[2];
    if (pipe2(gate, O_CLOEXEC) < 0) {
        close(fd);
        return;
    }
    long pid = syscall(SYS_clone, 0, NULL, NULL, NULL, 0);  // fork, with no exit signal
    if (pid == 0) {
        int low = fd < gate[0] ? fd : gate[0], high = fd < gate[0] ? gate[0] : fd;
        if (low > 0) syscall(SYS_close_range, 0U, (unsigned)low - 1, 0U);
        if (high > low + 1) syscall(SYS_close_range, (unsigned)low + 1, (unsigned)high - 1, 0U);
        syscall(SYS_close_range, (unsigned)high + 1, ~0U, 0U);
        char byte;
        while (read(gate[0], &byte, 1) < 0 && errno == EINTR) {
        }
        close(fd);
        _exit(0);
    }
    close(fd);
    close(gate[0]);
    close(gate[1]);
}

// One element request (NEWSETELEM, DELSETELEM or GETSETELEM) on table and set.
static int element_request(request *r, uint16_t message, uint16_t flags, const char *table, const char *set,
                           const uint8_t *key, size_t key_length, const uint8_t *data, size_t data_length) {
    struct nfgenmsg *g = begin(r, (NFNL_SUBSYS_NFTABLES << 8) | message, flags, sizeof *g);
    g->nfgen_family = NFPROTO_IPV4;
    g->version = NFNETLINK_V0;
    if (add_string(r, NFTA_SET_ELEM_LIST_TABLE, table) < 0 || add_string(r, NFTA_SET_ELEM_LIST_SET, set) < 0) return -1;
    struct rtattr *elements = begin_nest(r, NFTA_SET_ELEM_LIST_ELEMENTS | NLA_F_NESTED);
    struct rtattr *element = elements == NULL ? NULL : begin_nest(r, NFTA_LIST_ELEM | NLA_F_NESTED);
    if (element == NULL || add_data(r, NFTA_SET_ELEM_KEY, key, key_length) < 0) return -1;
    if (data != NULL && add_data(r, NFTA_SET_ELEM_DATA, data, data_length) < 0) return -1;
    end_nest(r, element);
    end_nest(r, elements);
    return 0;
}

// Sends PARTS and reads until the ack (or error) of message SEQUENCE, the
// only reply that matters here: 0, or -1 with errno.
static int send_and_await(int fd, struct iovec *parts, size_t count, uint32_t sequence) {
    struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
    struct msghdr message = {.msg_name = &kernel, .msg_namelen = sizeof kernel, .msg_iov = parts, .msg_iovlen = count};
    if (sendmsg(fd, &message, 0) < 0) return -1;
    char reply[1024];
    for (;;) {
        ssize_t n = recv(fd, reply, sizeof reply, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        for (struct nlmsghdr *h = (struct nlmsghdr *)reply; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
            if (h->nlmsg_type != NLMSG_ERROR || h->nlmsg_seq != sequence) continue;
            int err = ((struct nlmsgerr *)NLMSG_DATA(h))->error;
            if (err == 0) return 0;
            errno = -err;
            return -1;
        }
    }
}

static __thread uint32_t nft_sequence;

int sr_nft_set_element(int fd, int add, const char *table, const char *set, const uint8_t *key, size_t key_length,
                       const uint8_t *data, size_t data_length) {
    request r;
    if (element_request(&r, add ? NFT_MSG_NEWSETELEM : NFT_MSG_DELSETELEM, add ? NLM_F_CREATE | NLM_F_EXCL : 0, table,
                        set, key, key_length, data, data_length) < 0)
        return -1;
    uint32_t first = ++nft_sequence;
    r.header.nlmsg_seq = ++nft_sequence;
    uint32_t last = ++nft_sequence;
    char begin_buffer[NLMSG_SPACE(sizeof(struct nfgenmsg))], end_buffer[NLMSG_SPACE(sizeof(struct nfgenmsg))];
    batch_marker((struct nlmsghdr *)begin_buffer, NFNL_MSG_BATCH_BEGIN, first);
    batch_marker((struct nlmsghdr *)end_buffer, NFNL_MSG_BATCH_END, last);
    struct iovec parts[3] = {
        {begin_buffer, NLMSG_ALIGN(((struct nlmsghdr *)begin_buffer)->nlmsg_len)},
        {r.bytes, NLMSG_ALIGN(r.header.nlmsg_len)},
        {end_buffer, NLMSG_ALIGN(((struct nlmsghdr *)end_buffer)->nlmsg_len)},
    };
    return send_and_await(fd, parts, 3, r.header.nlmsg_seq);
}

int sr_nft_has_element(int fd, const char *table, const char *set, const uint8_t *key, size_t key_length) {
    request r;
    if (element_request(&r, NFT_MSG_GETSETELEM, 0, table, set, key, key_length, NULL, 0) < 0) return -1;
    r.header.nlmsg_seq = ++nft_sequence;
    struct iovec part = {r.bytes, NLMSG_ALIGN(r.header.nlmsg_len)};
    if (send_and_await(fd, &part, 1, r.header.nlmsg_seq) == 0) return 1;
    return errno == ENOENT ? 0 : -1;
}
