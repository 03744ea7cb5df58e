/* clientip: who the client is. The socket peer, unless the peer is a trusted
 * proxy (TRUSTED_PROXIES): then X-Forwarded-For is read from the right,
 * skipping trusted proxies, and the first other address is the client. */
#ifndef VALOR_GW_CLIENTIP_H
#define VALOR_GW_CLIENTIP_H

#include <stddef.h>

#include "config.h"

/* peer: the socket peer's address; xff: the X-Forwarded-For value or NULL.
 * Writes the client's address into out. */
void gw_client_ip(const struct gw_config *cfg, const char *peer, const char *xff, char *out,
                  size_t outlen);

#endif
