/* bench_token: prints an access token for the HTTP benchmarks of
 * scripts/bench.d/20_dcf.sh, signed with $JWT_SECRET_KEY like svc-auth's
 * (iss $JWT_ISSUER or valor-ivx, aud $JWT_AUDIENCE or valor-ivx-api).
 *
 *   bench_token TENANT USER ROLE [PLAN] [TTL_S]
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "valor/cfg.h"
#include "valor/crypto.h"
#include "valor/jwt.h"

int main(int argc, char **argv)
{
    struct vjwt_params p = {.secret = cfg_env_str("JWT_SECRET_KEY", NULL),
                            .issuer = cfg_env_str("JWT_ISSUER", "valor-ivx"),
                            .audience = cfg_env_str("JWT_AUDIENCE", "valor-ivx-api")};
    struct vjwt_claims c = {0};
    char *token = NULL;
    long ttl = argc > 5 ? strtol(argv[5], NULL, 10) : 3600;
    time_t now = time(NULL);

    if (argc < 4 || p.secret == NULL) {
        fprintf(stderr, "usage: JWT_SECRET_KEY=… bench_token TENANT USER ROLE [PLAN] [TTL_S]\n");
        return 2;
    }
    snprintf(c.tid, sizeof(c.tid), "%s", argv[1]);
    snprintf(c.sub, sizeof(c.sub), "%s", argv[2]);
    snprintf(c.role, sizeof(c.role), "%s", argv[3]);
    snprintf(c.plan, sizeof(c.plan), "%s", argc > 4 ? argv[4] : "enterprise");
    snprintf(c.typ, sizeof(c.typ), "access");
    c.iat = c.nbf = (long long)now;
    c.exp = (long long)now + ttl;
    if (crypto_uuid4(c.jti) != 0 || vjwt_sign(&p, &c, &token) != 0)
        return 1;
    printf("%s\n", token);
    free(token);
    return 0;
}
