/* bench_revocations: the revocation figures of scripts/bench.d/50_revocations.sh.
 *
 *   bench_revocations reseed [N]    svc-auth in-process on a private schema
 *                                   holding N (default 100,000) live
 *                                   revocations; Redis flushed, then re-seeded
 *                                   from PostgreSQL, three times; prints a row
 *                                   with the fastest and slowest.
 *   bench_revocations publish [N]   publishes N revocations as session.revoked
 *                                   events of 1,000 tokens each (what every
 *                                   gateway and service takes into its local set).
 *
 * Environment: the bench stack's DATABASE_URL, REDIS_URL, NATS_URL, JWT_SECRET_KEY.
 */
#include <jansson.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "reseed.h"
#include "service.h"
#include "valor/bus.h"
#include "valor/cfg.h"
#include "valor/clock.h"
#include "valor/crypto.h"
#include "valor/err.h"
#include "valor/kv.h"
#include "valor/revoke.h"
#include "valor/svc.h"

#define TOKENS_PER_EVENT 1000

static int sql(PGconn *pg, const char *text)
{
    PGresult *res = PQexec(pg, text);
    int ok = PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK;
    if (!ok)
        fprintf(stderr, "SQL failed: %s", PQerrorMessage(pg));
    PQclear(res);
    return ok ? 0 : -1;
}

static void quiet(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

static int flushall(void)
{
    struct kv_opts o = {.url = cfg_env_str("REDIS_URL", NULL), .command_timeout_ms = 10000};
    struct kv_client *kv = NULL;
    const char *argv[] = {"FLUSHALL"};
    redisReply *r = NULL;
    int rc = kv_open(&o, &kv);
    if (rc == VALOR_OK)
        rc = kv_command_argv(kv, 1, argv, NULL, &r);
    freeReplyObject(r);
    kv_close(kv);
    return rc;
}

static int bench_reseed(long n)
{
    char schema[64], text[1024];
    struct svc_def def = auth_def;
    struct svc *s = NULL;
    PGconn *pg = NULL;
    double best = 1e30, worst = 0;
    long entries = 0;
    int rc = 1;

    snprintf(schema, sizeof(schema), "auth_bench%d", (int)getpid());
    def.schema = schema;
    setenv("PORT", "0", 1);
    setenv("LOG_LEVEL", "ERROR", 1);
    setenv("REVOCATION_CHECK_MS", "60000", 1); /* the thread stays out of the measured seeds */
    if (svc_start(&def, &s) != VALOR_OK) {
        fprintf(stderr, "svc-auth did not start\n");
        return 1;
    }
    pg = PQconnectdb(cfg_env_str("DATABASE_URL", ""));
    PQsetNoticeProcessor(pg, quiet, NULL);
    snprintf(text, sizeof(text),
             "SET search_path = %s;"
             "INSERT INTO tenants (slug, name) VALUES ('bench', 'bench');"
             "INSERT INTO users (tenant_id, username, email, password_hash, role) "
             "SELECT id, 'bench', 'bench@example.com', '-', 'admin' FROM tenants;"
             "INSERT INTO revoked_tokens (jti, tenant_id, user_id, reason, expires_at) "
             "SELECT gen_random_uuid(), u.tenant_id, u.id, 'logout', now() + interval '1 hour' "
             "FROM users u, generate_series(1, %ld)",
             schema, n);
    if (PQstatus(pg) != CONNECTION_OK || sql(pg, text) != 0)
        goto out;
    for (int run = 0; run < 3; run++) {
        if (flushall() != VALOR_OK)
            goto out;
        double t0 = clock_mono_ms();
        if (reseed_now(((struct auth_state *)s->priv)->reseed, &entries) != VALOR_OK)
            goto out;
        double ms = clock_mono_ms() - t0;
        best = ms < best ? ms : best;
        worst = ms > worst ? ms : worst;
    }
    printf("| Revocation re-seed: %ld live revocations into an empty Redis | %.0f | ms | "
           "svc-auth on one core, fastest of 3 (slowest %.0f ms): PostgreSQL read + %d-key "
           "pipelines; target ≤ 2,000 ms |\n",
           entries, best, worst, RESEED_BATCH);
    rc = 0;
out:
    svc_stop(s);
    snprintf(text, sizeof(text), "DROP SCHEMA IF EXISTS %s CASCADE", schema);
    if (PQstatus(pg) == CONNECTION_OK)
        sql(pg, text);
    PQfinish(pg);
    return rc;
}

static int bench_publish(long n)
{
    struct bus_opts o = {.url = cfg_env_str("NATS_URL", NULL), .name = "bench-revocations"};
    struct bus *bus = NULL;
    long long exp = (long long)time(NULL) + 3600;
    int rc = bus_open(&o, &bus);

    for (double t0 = clock_mono_ms(); rc == VALOR_OK && !bus_connected(bus);) {
        if (clock_mono_ms() - t0 > 30000)
            rc = VALOR_E_UNAVAILABLE;
        usleep(20 * 1000);
    }
    for (long done = 0; rc == VALOR_OK && done < n; done += TOKENS_PER_EVENT) {
        json_t *tokens = json_array();
        char jti[CRYPTO_UUID_LEN], id[CRYPTO_UUID_LEN];
        for (long i = 0; i < TOKENS_PER_EVENT && done + i < n; i++) {
            crypto_uuid4(jti);
            json_array_append_new(tokens, json_pack("{s:s, s:I}", "jti", jti, "exp", exp));
        }
        crypto_uuid4(id);
        json_t *ev = json_pack("{s:s, s:s, s:s, s:{s:s, s:i, s:o}}", "id", id, "type",
                               REVOKE_EVENT_TYPE, "tenant", "bench", "data", "reason", "logout",
                               "sessions", 0, REVOKE_EVENT_FIELD, tokens);
        char *payload = json_dumps(ev, JSON_COMPACT);
        rc = bus_publish(bus, BUS_SUBJECT_PREFIX ".bench." REVOKE_EVENT_TYPE, id, payload,
                         strlen(payload), 10000);
        free(payload);
        json_decref(ev);
    }
    bus_close(bus);
    if (rc != VALOR_OK)
        fprintf(stderr, "publishing failed: %s\n", valor_err_name(rc));
    return rc == VALOR_OK ? 0 : 1;
}

int main(int argc, char **argv)
{
    long n = argc > 2 ? strtol(argv[2], NULL, 10) : 100000;
    if (argc >= 2 && strcmp(argv[1], "reseed") == 0)
        return bench_reseed(n);
    if (argc >= 2 && strcmp(argv[1], "publish") == 0)
        return bench_publish(n);
    fprintf(stderr, "usage: bench_revocations reseed|publish [N]\n");
    return 2;
}
