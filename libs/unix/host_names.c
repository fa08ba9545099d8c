/* This host's names and addresses, for the certificate that proves them. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include "unix/host_names.h"
#include "unix/peer_name.h"
#include "unix/private_file.h"

void host_names_init(struct host_names *names)
{
    memset(names, 0, sizeof(*names));
}

int host_names_add_dns(struct host_names *names, const char *name)
{
    size_t len = strlen(name);
    char folded[HOST_NAME_TEXT_MAX + 1];

    if (len && name[len - 1] == '.') len--;
    if (!len || len > HOST_NAME_TEXT_MAX) return -1;
    for (size_t i = 0; i < len; i++)
    {
        if (name[i] <= ' ' || name[i] >= 0x7f) return -1;
        folded[i] = (char)tolower((unsigned char)name[i]);
    }
    folded[len] = 0;
    for (size_t i = 0; i < names->dns_count; i++)
        if (!strcmp(names->dns[i], folded)) return 0;
    if (names->dns_count == HOST_NAMES_MAX_DNS) return -1;
    memcpy(names->dns[names->dns_count++], folded, len + 1);
    return 0;
}

static const uint8_t v4_mapped_prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

int host_names_add_ip(struct host_names *names, int family, const void *addr)
{
    struct host_address a;

    memset(&a, 0, sizeof(a));
    if (family == AF_INET6 && !memcmp(addr, v4_mapped_prefix, sizeof(v4_mapped_prefix)))
    {
        a.family = AF_INET;
        memcpy(a.addr, (const uint8_t *)addr + 12, 4);
    }
    else if (family == AF_INET || family == AF_INET6)
    {
        a.family = family;
        memcpy(a.addr, addr, family == AF_INET ? 4 : 16);
    }
    else return -1;
    for (size_t i = 0; i < names->ip_count; i++)
        if (!memcmp(&names->ip[i], &a, sizeof(a))) return 0;
    if (names->ip_count == HOST_NAMES_MAX_IP) return -1;
    names->ip[names->ip_count++] = a;
    return 0;
}

int host_names_cover(const struct host_names *have, const struct host_names *want)
{
    for (size_t i = 0; i < want->dns_count; i++)
    {
        size_t j = 0;
        while (j < have->dns_count && strcmp(have->dns[j], want->dns[i])) j++;
        if (j == have->dns_count) return 0;
    }
    for (size_t i = 0; i < want->ip_count; i++)
    {
        size_t j = 0;
        while (j < have->ip_count && memcmp(&have->ip[j], &want->ip[i], sizeof(want->ip[i]))) j++;
        if (j == have->ip_count) return 0;
    }
    return 1;
}

/* Whether candidate is hostname followed by a dot and more. */
static int extends(const char *candidate, size_t len, const char *hostname)
{
    size_t h = strlen(hostname);
    return len > h + 1 && !strncasecmp(candidate, hostname, h) && candidate[h] == '.';
}

int host_names_fqdn_from_hosts(const char *text, size_t len, const char *hostname, char *fqdn, size_t size)
{
    const char *p = text, *end = text + len;
    size_t h = strlen(hostname);

    if (!h) return 0;
    while (p < end)
    {
        const char *eol = memchr(p, '\n', (size_t)(end - p)), *line_end = eol ? eol : end, *hash;
        const char *words[32];
        size_t lens[32], n = 0;
        int names_host = 0;

        if ((hash = memchr(p, '#', (size_t)(line_end - p)))) line_end = hash;
        while (p < line_end && n < 32)
        {
            while (p < line_end && isspace((unsigned char)*p)) p++;
            if (p == line_end) break;
            words[n] = p;
            while (p < line_end && !isspace((unsigned char)*p)) p++;
            lens[n] = (size_t)(p - words[n]);
            n++;
        }
        /* words[0] is the address; the names follow. */
        for (size_t i = 1; i < n; i++)
            if ((lens[i] == h && !strncasecmp(words[i], hostname, h)) || extends(words[i], lens[i], hostname))
                names_host = 1;
        for (size_t i = 1; names_host && i < n; i++)
            if (extends(words[i], lens[i], hostname) && lens[i] < size && peer_name_dns_valid(words[i], lens[i]))
            {
                memcpy(fqdn, words[i], lens[i]);
                fqdn[lens[i]] = 0;
                return 1;
            }
        p = eol ? eol + 1 : end;
    }
    return 0;
}

static int add_interfaces(struct host_names *names, char *why, size_t why_len)
{
    struct ifaddrs *list, *ifa;

    if (getifaddrs(&list))
    {
        snprintf(why, why_len, "getifaddrs: %s", strerror(errno));
        return -1;
    }
    for (ifa = list; ifa; ifa = ifa->ifa_next)
    {
        if (!ifa->ifa_addr) continue;
        if (ifa->ifa_addr->sa_family == AF_INET)
            host_names_add_ip(names, AF_INET, &((const struct sockaddr_in *)ifa->ifa_addr)->sin_addr);
        else if (ifa->ifa_addr->sa_family == AF_INET6)
        {
            const struct in6_addr *a = &((const struct sockaddr_in6 *)ifa->ifa_addr)->sin6_addr;
            /* Link-local addresses need a scope to be reached and come and
             * go with every virtual interface: naming them would renew the
             * identity for nothing.  A peer reached through one can name
             * the host instead. */
            if (!IN6_IS_ADDR_LINKLOCAL(a)) host_names_add_ip(names, AF_INET6, a);
        }
    }
    freeifaddrs(list);
    return 0;
}

int host_names_gather(struct host_names *names, const char *hosts_path, char *why, size_t why_len)
{
    static const uint8_t loop4[4] = { 127, 0, 0, 1 };
    char host[HOST_NAME_TEXT_MAX + 2], fqdn[HOST_NAME_TEXT_MAX + 1];
    char *hosts = NULL;
    size_t hosts_len;

    host_names_init(names);
    if (!gethostname(host, sizeof(host)))
    {
        host[sizeof(host) - 1] = 0;
        if (peer_name_dns_valid(host, strlen(host)))
        {
            host_names_add_dns(names, host);
            if (private_file_read(hosts_path ? hosts_path : "/etc/hosts", &hosts, &hosts_len, why, why_len) == 0 &&
                host_names_fqdn_from_hosts(hosts, hosts_len, host, fqdn, sizeof(fqdn)))
                host_names_add_dns(names, fqdn);
            free(hosts);
        }
    }
    host_names_add_dns(names, "localhost");
    host_names_add_ip(names, AF_INET, loop4);
    host_names_add_ip(names, AF_INET6, &in6addr_loopback);
    return add_interfaces(names, why, why_len);
}
