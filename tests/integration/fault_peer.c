/* A misbehaving peer for tests/integration/faults.sh.
 *
 *   fault_peer PORTFILE stall SECONDS
 *       accepts connections and never says a word (a handshake that stalls)
 *   fault_peer PORTFILE reset SECONDS TARGETPORT BYTES
 *       forwards each connection to 127.0.0.1:TARGETPORT and, once BYTES
 *       have gone through in either direction, resets both sides (RST)
 *
 * Listens on 127.0.0.1 and writes its port to PORTFILE; serves for SECONDS.
 * Prints "accepted=N resets=M" at the end. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static void reset_close(int fd)
{
    struct linger lg = { 1, 0 };
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    close(fd);
}

int main(int argc, char **argv)
{
    struct sockaddr_in sin;
    socklen_t len = sizeof(sin);
    int l = socket(AF_INET, SOCK_STREAM, 0), accepted = 0, resets = 0, held[64], nheld = 0;
    time_t end;
    FILE *f;

    if (argc < 4 || (strcmp(argv[2], "stall") && (strcmp(argv[2], "reset") || argc < 6))) return 2;
    end = time(NULL) + atoi(argv[3]);
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(l, (struct sockaddr *)&sin, sizeof(sin)) || listen(l, 16) || getsockname(l, (struct sockaddr *)&sin, &len))
        return 1;
    if (!(f = fopen(argv[1], "w"))) return 1;
    fprintf(f, "%u\n", ntohs(sin.sin_port));
    fclose(f);

    while (time(NULL) < end)
    {
        struct pollfd p = { l, POLLIN, 0 };
        int a;
        if (poll(&p, 1, 200) <= 0) continue;
        if ((a = accept(l, NULL, NULL)) < 0) continue;
        accepted++;
        if (!strcmp(argv[2], "stall"))
        {
            if (nheld < 64) held[nheld++] = a;  /* held open, silent */
            else close(a);
            continue;
        }
        /* reset: one connection at a time is enough for the test. */
        {
            struct sockaddr_in t = sin;
            long budget = atol(argv[5]);
            int up = socket(AF_INET, SOCK_STREAM, 0);
            char buf[4096];

            t.sin_port = htons((unsigned short)atoi(argv[4]));
            if (connect(up, (struct sockaddr *)&t, sizeof(t)))
            {
                close(up);
                close(a);
                continue;
            }
            while (budget > 0 && time(NULL) < end)
            {
                struct pollfd pp[2] = { { a, POLLIN, 0 }, { up, POLLIN, 0 } };
                ssize_t n;
                if (poll(pp, 2, 200) <= 0) continue;
                if (pp[0].revents)
                {
                    if ((n = read(a, buf, sizeof(buf))) <= 0 || write(up, buf, n) != n) break;
                    budget -= n;
                }
                if (pp[1].revents)
                {
                    if ((n = read(up, buf, sizeof(buf))) <= 0 || write(a, buf, n) != n) break;
                    budget -= n;
                }
            }
            reset_close(a);
            reset_close(up);
            resets++;
        }
    }
    for (int i = 0; i < nheld; i++) close(held[i]);
    printf("accepted=%d resets=%d\n", accepted, resets);
    return 0;
}
