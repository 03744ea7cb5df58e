/* Prints an access token signed with $JWT_SECRET_KEY (issuer/audience from
 * JWT_ISSUER/JWT_AUDIENCE or the defaults) for the gateway benchmark.
 *
 *   gateway-bench_token TENANT USER ROLE PLAN TTL_S */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "valor/crypto.h"
#include "valor/err.h"
#include "valor/jwt.h"

int main(int argc, char **argv)
{
    const char *iss = getenv("JWT_ISSUER"), *aud = getenv("JWT_AUDIENCE");
    struct vjwt_params p = {.secret = getenv("JWT_SECRET_KEY"),
                            .issuer = iss != NULL && *iss ? iss : "valor-ivx",
                            .audience = aud != NULL && *aud ? aud : "valor-ivx-api"};
    struct vjwt_claims c = {0};
    char *token = NULL;
    time_t now = time(NULL);

    if (argc != 6 || p.secret == NULL || *p.secret == '\0') {
        fprintf(stderr, "usage: JWT_SECRET_KEY=… %s TENANT USER ROLE PLAN TTL_S\n", argv[0]);
        return 2;
    }
    snprintf(c.tid, sizeof(c.tid), "%s", argv[1]);
    snprintf(c.sub, sizeof(c.sub), "%s", argv[2]);
    snprintf(c.role, sizeof(c.role), "%s", argv[3]);
    snprintf(c.plan, sizeof(c.plan), "%s", argv[4]);
    snprintf(c.typ, sizeof(c.typ), "access");
    if (crypto_uuid4(c.jti) != VALOR_OK)
        return 1;
    c.iat = c.nbf = (long long)now;
    c.exp = (long long)now + strtol(argv[5], NULL, 10);
    if (vjwt_sign(&p, &c, &token) != VALOR_OK)
        return 1;
    printf("%s\n", token);
    free(token);
    return 0;
}
