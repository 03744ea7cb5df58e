/* svc-financial: company data, DCF inputs and prices (api.md §5). */
#ifndef FIN_SERVICE_H
#define FIN_SERVICE_H

#include <stddef.h>

#include "provider_av.h"
#include "valor/svc.h"

extern const struct svc_def financial_def;

struct fin_sflight;

/* The service's state (svc->priv), read-only after start-up except sflight. */
struct fin_service {
    struct svc *svc;       /* borrowed back-pointer */
    char *av_key;          /* ALPHA_VANTAGE_API_KEY, NULL when unset; never logged */
    char *av_base_url;     /* ALPHA_VANTAGE_BASE_URL without a trailing '/' */
    struct fin_av_opts av; /* points into the strings above */
    long cache_ttl_s;      /* FINANCIAL_CACHE_TTL_S */
    struct fin_sflight *sflight;
};

#endif
