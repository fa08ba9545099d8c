/*
 * An in-path byte recorder: a plain Linux TCP server on 127.0.0.1 that
 * records every connection and every byte it receives, and echoes them.
 *
 *   recorder PORTFILE OUTFILE SECONDS
 * writes its port to PORTFILE, serves for SECONDS, writes what it received
 * (all connections, in order) to OUTFILE and prints
 * "connections=N bytes=M" on stdout.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONN 64

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    struct pollfd fds[MAX_CONN + 1];
    struct sockaddr_in sin;
    socklen_t len = sizeof(sin);
    unsigned long connections = 0, bytes = 0;
    int nfds = 1, listener;
    double end;
    FILE *port_file, *out;

    if (argc != 4)
    {
        fprintf(stderr, "usage: recorder PORTFILE OUTFILE SECONDS\n");
        return 2;
    }
    end = now() + atof(argv[3]);
    listener = socket(AF_INET, SOCK_STREAM, 0);
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (listener < 0 || bind(listener, (struct sockaddr *)&sin, sizeof(sin)) || listen(listener, 16) ||
        getsockname(listener, (struct sockaddr *)&sin, &len))
    {
        fprintf(stderr, "recorder: cannot listen: %s\n", strerror(errno));
        return 1;
    }
    if (!(out = fopen(argv[2], "wb")) || !(port_file = fopen(argv[1] + 0, "w")))
    {
        fprintf(stderr, "recorder: cannot write %s or %s\n", argv[2], argv[1]);
        return 1;
    }
    fprintf(port_file, "%u\n", ntohs(sin.sin_port));
    fclose(port_file);
    fds[0].fd = listener;
    fds[0].events = POLLIN;
    while (now() < end)
    {
        int n = poll(fds, (nfds_t)nfds, 100);
        if (n < 0 && errno != EINTR) break;
        if (n <= 0) continue;
        if ((fds[0].revents & POLLIN) && nfds <= MAX_CONN)
        {
            int c = accept(listener, NULL, NULL);
            if (c >= 0)
            {
                connections++;
                fds[nfds].fd = c;
                fds[nfds].events = POLLIN;
                nfds++;
            }
        }
        for (int i = 1; i < nfds; i++)
        {
            char buf[65536];
            ssize_t got;
            if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            got = read(fds[i].fd, buf, sizeof(buf));
            if (got > 0)
            {
                fwrite(buf, 1, (size_t)got, out);
                fflush(out);  /* the test may end us with a signal */
                bytes += (unsigned long)got;
                if (write(fds[i].fd, buf, (size_t)got) < 0) { /* the peer left: nothing to echo to */ }
                continue;
            }
            close(fds[i].fd);
            fds[i] = fds[--nfds];
            i--;
        }
    }
    fclose(out);
    printf("connections=%lu bytes=%lu\n", connections, bytes);
    return 0;
}
