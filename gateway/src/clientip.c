#include "clientip.h"

#include <string.h>

#include "valor/fmt.h"

void gw_client_ip(const struct gw_config *cfg, const char *peer, const char *xff, char *out,
                  size_t outlen)
{
    const char *end;

    fmt_copy(out, outlen, peer);
    if (xff == NULL || cfg->n_trusted_proxies == 0 ||
        !gw_cidr_contains(cfg->trusted_proxies, cfg->n_trusted_proxies, peer))
        return;
    end = xff + strlen(xff);
    while (end > xff) {
        const char *start = end;
        char ip[64];
        struct gw_cidr parsed;
        size_t len;

        while (start > xff && start[-1] != ',')
            start--;
        const char *s = start, *e = end;
        while (s < e && (*s == ' ' || *s == '\t'))
            s++;
        while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
            e--;
        len = (size_t)(e - s);
        if (len == 0 || len >= sizeof(ip))
            return;
        memcpy(ip, s, len);
        ip[len] = '\0';
        if (strchr(ip, '/') != NULL || gw_cidr_parse(ip, &parsed) != 0)
            return; /* garbage: keep the last address we trust */
        fmt_copy(out, outlen, ip);
        if (!gw_cidr_contains(cfg->trusted_proxies, cfg->n_trusted_proxies, ip))
            return;
        end = start > xff ? start - 1 : xff;
    }
}
