/*
 * Reservations: the public address of a secured socket that the service
 * holds for a program (bound, never listening, with the none backend).
 */
#ifndef SECSOCKD_LEASE_H
#define SECSOCKD_LEASE_H

#include <stdint.h>
#include "secsock/proto.h"

/* Binds a socket of socktype to addr (exclusively: no SO_REUSEADDR).
 * Returns the fd and the bound address, or -1 with a Windows error. */
int lease_reserve(uint8_t socktype, const struct secsock_addr *addr, struct secsock_addr *bound,
                  uint32_t *wsa_error);

/* How many addresses are reserved now. */
unsigned int lease_count(void);

/* Gives a reservation back (closes fd). */
void lease_release(int fd);

/* Maps an errno of bind/socket to the Windows error a program expects. */
uint32_t lease_wsa_error(int err);

#endif
