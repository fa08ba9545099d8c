/*
 * wirecount: what crosses one network interface, for the IPsec tests.
 * Reads every IPv4 frame on IFACE (AF_PACKET, both directions) until
 * SECONDS pass or it is told to stop (SIGTERM/SIGINT), then prints:
 *   tcp_syn=N tcp_payload=N tcp_from=N esp=N ike=N marker=0|1
 * tcp_syn, tcp_payload: segments to or from PORT; tcp_from: segments sent
 * from PORT (an answer of whoever listens there); esp: IP protocol 50;
 * ike: UDP 500/4500;
 * marker: MARKER appeared in clear anywhere in a frame.
 *
 * usage: wirecount IFACE SECONDS PORT MARKER
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

struct counts {
    unsigned long syn, payload, from, esp, ike;
    int marker;
};

static void count_frame(const uint8_t *frame, size_t len, uint16_t port, const char *marker, struct counts *c)
{
    const struct iphdr *ip = (const struct iphdr *)frame;
    size_t ihl;

    if (marker[0] && memmem(frame, len, marker, strlen(marker))) c->marker = 1;
    if (len < sizeof(*ip) || ip->version != 4) return;
    ihl = (size_t)ip->ihl * 4;
    if (ihl < sizeof(*ip) || ihl > len) return;
    if (ip->protocol == IPPROTO_ESP) c->esp++;
    else if (ip->protocol == IPPROTO_UDP && len >= ihl + sizeof(struct udphdr))
    {
        const struct udphdr *udp = (const struct udphdr *)(frame + ihl);
        uint16_t s = ntohs(udp->source), d = ntohs(udp->dest);
        if (s == 500 || d == 500 || s == 4500 || d == 4500) c->ike++;
    }
    else if (ip->protocol == IPPROTO_TCP && len >= ihl + sizeof(struct tcphdr))
    {
        const struct tcphdr *tcp = (const struct tcphdr *)(frame + ihl);
        size_t doff = (size_t)tcp->doff * 4, total = ntohs(ip->tot_len);
        if (ntohs(tcp->source) != port && ntohs(tcp->dest) != port) return;
        if (tcp->syn) c->syn++;
        if (ntohs(tcp->source) == port) c->from++;
        if (total > len) total = len;
        if (total > ihl + doff) c->payload++;
    }
}

int main(int argc, char **argv)
{
    struct sockaddr_ll where;
    struct counts c = { 0, 0, 0, 0, 0, 0 };
    uint8_t frame[65536];
    time_t end;
    int fd;

    if (argc != 5)
    {
        fprintf(stderr, "usage: wirecount IFACE SECONDS PORT MARKER\n");
        return 2;
    }
    fd = socket(AF_PACKET, SOCK_DGRAM, htons(ETH_P_IP));
    if (fd < 0)
    {
        fprintf(stderr, "wirecount: socket: %s\n", strerror(errno));
        return 1;
    }
    memset(&where, 0, sizeof(where));
    where.sll_family = AF_PACKET;
    where.sll_protocol = htons(ETH_P_IP);
    if (!(where.sll_ifindex = (int)if_nametoindex(argv[1])) || bind(fd, (struct sockaddr *)&where, sizeof(where)))
    {
        fprintf(stderr, "wirecount: %s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    end = time(NULL) + atoi(argv[2]);
    printf("listening\n");
    fflush(stdout);
    while (!stop && time(NULL) < end)
    {
        struct pollfd p = { fd, POLLIN, 0 };
        ssize_t n;

        if (poll(&p, 1, 200) <= 0) continue;
        if ((n = recv(fd, frame, sizeof(frame), 0)) > 0)
            count_frame(frame, (size_t)n, (uint16_t)atoi(argv[3]), argv[4], &c);
    }
    printf("tcp_syn=%lu tcp_payload=%lu tcp_from=%lu esp=%lu ike=%lu marker=%d\n", c.syn, c.payload, c.from, c.esp,
           c.ike, c.marker);
    return 0;
}
