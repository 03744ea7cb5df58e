#include "valor/cfg.h"
#include "valor/err.h"
#include "testutil.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static const char *const all_vars[] = {
    "APP_ENV",
    "FLASK_ENV",
    "HOST",
    "PORT",
    "DATABASE_URL",
    "REDIS_URL",
    "NATS_URL",
    "JWT_SECRET_KEY",
    "SECRET_KEY",
    "JWT_ISSUER",
    "JWT_AUDIENCE",
    "JWT_LEEWAY",
    "LOG_JSON",
    "LOG_LEVEL",
    "FEATURE_PROMETHEUS_METRICS",
    "WORKER_THREADS",
    "MAX_CONNECTIONS",
    "CONNECTION_TIMEOUT_S",
    "SHUTDOWN_GRACE_S",
    "MAX_BODY_BYTES",
    "REDIS_TIMEOUT_MS",
    "DB_CONNECT_TIMEOUT_MS",
    "METRICS_MAX_TENANTS",
    "REVOCATION_LOCAL_MAX",
    "JWT_PREVIOUS_SECRET_KEYS",
    "REVOCATION_REPLAY_S",
    "VALOR_TEST_NUM",
    "VALOR_TEST_BOOL",
};

#define GOOD_JWT "0123456789abcdef0123456789abcdef-jwt"
#define GOOD_KEY "fedcba9876543210fedcba9876543210-key"

static void clean_env(void)
{
    for (size_t i = 0; i < sizeof(all_vars) / sizeof(all_vars[0]); i++)
        unsetenv(all_vars[i]);
}

static void production_env(void)
{
    clean_env();
    setenv("APP_ENV", "production", 1);
    setenv("JWT_SECRET_KEY", GOOD_JWT, 1);
    setenv("SECRET_KEY", GOOD_KEY, 1);
}

/* cfg_load must refuse; errbuf names `var` and never contains `value`. */
static void assert_refused(const char *var, const char *value)
{
    struct valor_cfg cfg;
    char err[256];
    int rc = cfg_load(&cfg, "auth", 5001, err, sizeof(err));
    cfg_free(&cfg);
    ck_assert_msg(rc == VALOR_E_INVALID, "%s=%s was accepted (rc %d)", var,
                  value ? value : "(unset)", rc);
    ck_assert_msg(strstr(err, var) != NULL, "reason does not name %s: %s", var, err);
    if (value != NULL && *value != '\0')
        ck_assert_msg(strstr(err, value) == NULL, "reason leaks the value: %s", err);
}

static const char *const placeholders[] = {
    "change-me",
    "changeme",
    "CHANGEME",
    "dev-secret-key-change-in-production",
    "jwt-secret-key-change-in-production",
    "JWT-Secret-Key-Change-In-Production",
    "replace-with-strong-random-secret-of-64-chars",
    "REPLACE-WITH-STRONG-secret",
    "secret",
    "Secret",
    "your-secret-key",
    "your-secret-key-here-0123456789abcdef0123",
    "changeme-changeme-changeme-changeme",
    "my-key-please-change-me-before-deploying-it",
};

START_TEST(test_production_refuses_placeholder_jwt_secret)
{
    const char *v = placeholders[_i];
    production_env();
    setenv("JWT_SECRET_KEY", v, 1);
    ck_assert_int_eq(cfg_secret_check(v), VALOR_E_INVALID);
    assert_refused("JWT_SECRET_KEY", v);
}
END_TEST

START_TEST(test_production_refuses_placeholder_secret_key)
{
    const char *v = placeholders[_i];
    production_env();
    setenv("SECRET_KEY", v, 1);
    assert_refused("SECRET_KEY", v);
}
END_TEST

START_TEST(test_production_refuses_unset_or_empty_secret)
{
    production_env();
    unsetenv("JWT_SECRET_KEY");
    assert_refused("JWT_SECRET_KEY", NULL);
    setenv("JWT_SECRET_KEY", "", 1);
    assert_refused("JWT_SECRET_KEY", NULL);
    production_env();
    unsetenv("SECRET_KEY");
    assert_refused("SECRET_KEY", NULL);
    ck_assert_int_eq(cfg_secret_check(NULL), VALOR_E_INVALID);
    ck_assert_int_eq(cfg_secret_check(""), VALOR_E_INVALID);
}
END_TEST

START_TEST(test_production_refuses_short_secret)
{
    const char *short31 = "k7Qz9vXw2LmN4pRt6YbH8cJd0fGs3Ua"; /* 31 bytes */
    ck_assert_uint_eq(strlen(short31), 31);
    ck_assert_int_eq(cfg_secret_check(short31), VALOR_E_INVALID);
    production_env();
    setenv("JWT_SECRET_KEY", short31, 1);
    assert_refused("JWT_SECRET_KEY", short31);

    struct valor_cfg cfg;
    char err[256];
    production_env();
    setenv("JWT_SECRET_KEY", "k7Qz9vXw2LmN4pRt6YbH8cJd0fGs3Ua5", 1); /* 32 bytes */
    ck_assert_int_eq(cfg_load(&cfg, "auth", 5001, err, sizeof(err)), VALOR_OK);
    ck_assert_str_eq(cfg.jwt_secret, "k7Qz9vXw2LmN4pRt6YbH8cJd0fGs3Ua5");
    ck_assert_int_eq(cfg.generated_secret, 0);
    cfg_free(&cfg);
}
END_TEST

/* Every previous key is held to the rules of a secret: a placeholder, a short
 * one, an empty one, too many, or the current key again are refused, naming
 * the variable and never the value. */
START_TEST(test_production_refuses_weak_previous_key)
{
    static const char *const bad[] = {
        "change-me",
        GOOD_KEY "-previous, too-short",
        GOOD_KEY "-previous,,",
        GOOD_JWT,
        "a0123456789abcdef0123456789abcdef,b0123456789abcdef0123456789abcdef,"
        "c0123456789abcdef0123456789abcdef,d0123456789abcdef0123456789abcdef,"
        "e0123456789abcdef0123456789abcdef",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        production_env();
        setenv("JWT_PREVIOUS_SECRET_KEYS", bad[i], 1);
        assert_refused("JWT_PREVIOUS_SECRET_KEYS", i == 1 ? "too-short" : i == 0 ? bad[i] : NULL);
    }
}
END_TEST

START_TEST(test_previous_keys_parsed)
{
    struct valor_cfg cfg;
    char err[256];
    production_env();
    setenv("JWT_PREVIOUS_SECRET_KEYS", " " GOOD_KEY "-one , " GOOD_KEY "-two", 1);
    ck_assert_int_eq(cfg_load(&cfg, "auth", 5001, err, sizeof(err)), VALOR_OK);
    ck_assert_int_eq(cfg.njwt_previous, 2);
    ck_assert_str_eq(cfg.jwt_previous[0], GOOD_KEY "-one");
    ck_assert_str_eq(cfg.jwt_previous[1], GOOD_KEY "-two");
    cfg_free(&cfg);
    ck_assert_int_eq(cfg.njwt_previous, 0);
    /* unset: none */
    production_env();
    ck_assert_int_eq(cfg_load(&cfg, "auth", 5001, err, sizeof(err)), VALOR_OK);
    ck_assert_int_eq(cfg.njwt_previous, 0);
    cfg_free(&cfg);
}
END_TEST

START_TEST(test_production_refuses_debug_log_level)
{
    production_env();
    setenv("LOG_LEVEL", "DEBUG", 1);
    assert_refused("LOG_LEVEL", NULL);
    setenv("LOG_LEVEL", "debug", 1);
    assert_refused("LOG_LEVEL", NULL);
}
END_TEST

START_TEST(test_legacy_flask_env_production)
{
    clean_env();
    setenv("FLASK_ENV", "production", 1);
    assert_refused("JWT_SECRET_KEY", NULL);
    /* APP_ENV wins over FLASK_ENV */
    setenv("APP_ENV", "development", 1);
    struct valor_cfg cfg;
    char err[256];
    ck_assert_int_eq(cfg_load(&cfg, "auth", 5001, err, sizeof(err)), VALOR_OK);
    ck_assert_int_eq(cfg.production, 0);
    cfg_free(&cfg);
}
END_TEST

START_TEST(test_unknown_app_env_refused)
{
    clean_env();
    setenv("APP_ENV", "prod-ish", 1);
    assert_refused("APP_ENV", NULL);
}
END_TEST

START_TEST(test_bad_shared_variable_refused)
{
    static const char *const bad[][2] = {
        {"PORT", "12abc"},
        {"PORT", "65536"},
        {"PORT", "-1"},
        {"LOG_JSON", "maybe"},
        {"LOG_LEVEL", "LOUD"},
        {"WORKER_THREADS", "0"},
        {"MAX_BODY_BYTES", "1e6"},
        {"JWT_LEEWAY", " 30"},
        {"REDIS_TIMEOUT_MS", "50ms"},
        {"FEATURE_PROMETHEUS_METRICS", "2"},
        {"METRICS_MAX_TENANTS", "0"},
        {"REVOCATION_LOCAL_MAX", "0"},
        {"REVOCATION_REPLAY_S", "59"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        clean_env();
        setenv(bad[i][0], bad[i][1], 1);
        assert_refused(bad[i][0], NULL);
    }
}
END_TEST

START_TEST(test_production_accepts_good_config)
{
    struct valor_cfg cfg;
    char err[256];
    production_env();
    setenv("LOG_LEVEL", "warning", 1);
    ck_assert_int_eq(cfg_load(&cfg, "gateway", 5002, err, sizeof(err)), VALOR_OK);
    ck_assert_int_eq(cfg.production, 1);
    ck_assert_str_eq(cfg.jwt_secret, GOOD_JWT);
    ck_assert_str_eq(cfg.secret_key, GOOD_KEY);
    ck_assert_int_eq(cfg.log_level, CFG_LOG_WARNING);
    ck_assert_int_eq(cfg.generated_secret, 0);
    cfg_free(&cfg);
    ck_assert_ptr_null(cfg.jwt_secret);
}
END_TEST

static int is_hex64(const char *s)
{
    if (s == NULL || strlen(s) != 64)
        return 0;
    for (; *s; s++)
        if (!isxdigit((unsigned char)*s) || isupper((unsigned char)*s))
            return 0;
    return 1;
}

START_TEST(test_development_generates_secret)
{
    struct valor_cfg a, b;
    char err[256];
    clean_env();
    setenv("LOG_LEVEL", "DEBUG", 1); /* allowed outside production */
    ck_assert_int_eq(cfg_load(&a, "runs", 5003, err, sizeof(err)), VALOR_OK);
    ck_assert_int_eq(cfg_load(&b, "runs", 5003, err, sizeof(err)), VALOR_OK);
    ck_assert_int_eq(a.production, 0);
    ck_assert_int_eq(a.generated_secret, 1);
    ck_assert_int_eq(a.log_level, CFG_LOG_DEBUG);
    ck_assert_msg(is_hex64(a.jwt_secret), "jwt secret is not 32 random bytes in hex");
    ck_assert_msg(is_hex64(a.secret_key), "secret key is not 32 random bytes in hex");
    ck_assert_int_eq(cfg_secret_check(a.jwt_secret), VALOR_OK);
    ck_assert_str_ne(a.jwt_secret, a.secret_key);
    ck_assert_str_ne(a.jwt_secret, b.jwt_secret);
    cfg_free(&a);
    cfg_free(&b);

    /* a given secret is kept as is */
    setenv("JWT_SECRET_KEY", "dev", 1);
    setenv("SECRET_KEY", "dev2", 1);
    ck_assert_int_eq(cfg_load(&a, "runs", 5003, err, sizeof(err)), VALOR_OK);
    ck_assert_str_eq(a.jwt_secret, "dev");
    ck_assert_int_eq(a.generated_secret, 0);
    cfg_free(&a);
}
END_TEST

START_TEST(test_defaults)
{
    struct valor_cfg cfg;
    char err[256];
    clean_env();
    ck_assert_int_eq(cfg_load(&cfg, "financial", 5004, err, sizeof(err)), VALOR_OK);
    ck_assert_str_eq(cfg.service, "financial");
    ck_assert_int_eq(cfg.production, 0);
    ck_assert_str_eq(cfg.host, "127.0.0.1");
    ck_assert_int_eq(cfg.port, 5004);
    ck_assert_ptr_null(cfg.database_url);
    ck_assert_str_eq(cfg.redis_url, "redis://127.0.0.1:6379/0");
    ck_assert_str_eq(cfg.nats_url, "nats://127.0.0.1:4222");
    ck_assert_str_eq(cfg.jwt_issuer, "valor-ivx");
    ck_assert_str_eq(cfg.jwt_audience, "valor-ivx-api");
    ck_assert_int_eq(cfg.jwt_leeway_s, 30);
    ck_assert_int_eq(cfg.log_json, 1);
    ck_assert_int_eq(cfg.log_level, CFG_LOG_INFO);
    ck_assert_int_eq(cfg.metrics_enabled, 1);
    ck_assert_int_ge(cfg.worker_threads, 4);
    ck_assert_int_le(cfg.worker_threads, 64);
    ck_assert_int_eq(cfg.max_connections, 1024);
    ck_assert_int_eq(cfg.connection_timeout_s, 30);
    ck_assert_int_eq(cfg.shutdown_grace_s, 10);
    ck_assert_uint_eq(cfg.max_body_bytes, 1024 * 1024);
    ck_assert_int_eq(cfg.redis_timeout_ms, 50);
    ck_assert_int_eq(cfg.metrics_max_tenants, 100);
    ck_assert_int_eq(cfg.db_timeout_ms, 2000);
    cfg_free(&cfg);
}
END_TEST

START_TEST(test_overrides)
{
    struct valor_cfg cfg;
    char err[256];
    clean_env();
    setenv("HOST", "0.0.0.0", 1);
    setenv("PORT", "0", 1); /* ephemeral */
    setenv("DATABASE_URL", "postgresql://x@127.0.0.1/db", 1);
    setenv("LOG_JSON", "false", 1);
    setenv("FEATURE_PROMETHEUS_METRICS", "off", 1);
    setenv("WORKER_THREADS", "2", 1);
    setenv("MAX_BODY_BYTES", "2048", 1);
    setenv("REDIS_URL", "", 1); /* empty counts as unset */
    ck_assert_int_eq(cfg_load(&cfg, "deals", 5005, err, sizeof(err)), VALOR_OK);
    ck_assert_str_eq(cfg.host, "0.0.0.0");
    ck_assert_int_eq(cfg.port, 0);
    ck_assert_str_eq(cfg.database_url, "postgresql://x@127.0.0.1/db");
    ck_assert_int_eq(cfg.log_json, 0);
    ck_assert_int_eq(cfg.metrics_enabled, 0);
    ck_assert_int_eq(cfg.worker_threads, 2);
    ck_assert_uint_eq(cfg.max_body_bytes, 2048);
    ck_assert_str_eq(cfg.redis_url, "redis://127.0.0.1:6379/0");
    cfg_free(&cfg);
}
END_TEST

START_TEST(test_env_long_rejects_garbage)
{
    static const char *const bad[] = {
        "12abc", "abc", " 12", "12 ", "+12", "1e3", "0x10", "-", "99999999999999999999999"};
    char err[128];
    long v = 7;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        setenv("VALOR_TEST_NUM", bad[i], 1);
        err[0] = '\0';
        ck_assert_msg(cfg_env_long("VALOR_TEST_NUM", 5, -100, 100, &v, err, sizeof(err)) ==
                          VALOR_E_INVALID,
                      "'%s' accepted", bad[i]);
        ck_assert_str_eq(err, "VALOR_TEST_NUM must be an integer in [-100, 100]");
        ck_assert_int_eq(v, 7); /* untouched on error */
    }
}
END_TEST

START_TEST(test_env_long_range)
{
    char err[128];
    long v = 0;
    setenv("VALOR_TEST_NUM", "101", 1);
    ck_assert_int_eq(cfg_env_long("VALOR_TEST_NUM", 5, -100, 100, &v, err, sizeof(err)),
                     VALOR_E_INVALID);
    setenv("VALOR_TEST_NUM", "-101", 1);
    ck_assert_int_eq(cfg_env_long("VALOR_TEST_NUM", 5, -100, 100, &v, err, sizeof(err)),
                     VALOR_E_INVALID);
    setenv("VALOR_TEST_NUM", "-100", 1);
    ck_assert_int_eq(cfg_env_long("VALOR_TEST_NUM", 5, -100, 100, &v, err, sizeof(err)), VALOR_OK);
    ck_assert_int_eq(v, -100);
    setenv("VALOR_TEST_NUM", "100", 1);
    ck_assert_int_eq(cfg_env_long("VALOR_TEST_NUM", 5, -100, 100, &v, err, sizeof(err)), VALOR_OK);
    ck_assert_int_eq(v, 100);
    unsetenv("VALOR_TEST_NUM");
    ck_assert_int_eq(cfg_env_long("VALOR_TEST_NUM", 5, -100, 100, &v, err, sizeof(err)), VALOR_OK);
    ck_assert_int_eq(v, 5);
    setenv("VALOR_TEST_NUM", "", 1);
    ck_assert_int_eq(cfg_env_long("VALOR_TEST_NUM", 6, -100, 100, &v, err, sizeof(err)), VALOR_OK);
    ck_assert_int_eq(v, 6);
}
END_TEST

START_TEST(test_env_bool)
{
    static const char *const yes[] = {"1", "true", "TRUE", "yes", "On"};
    static const char *const no[] = {"0", "false", "False", "no", "OFF"};
    char err[128];
    int v = -1;
    for (size_t i = 0; i < 5; i++) {
        setenv("VALOR_TEST_BOOL", yes[i], 1);
        ck_assert_int_eq(cfg_env_bool("VALOR_TEST_BOOL", 0, &v, err, sizeof(err)), VALOR_OK);
        ck_assert_int_eq(v, 1);
        setenv("VALOR_TEST_BOOL", no[i], 1);
        ck_assert_int_eq(cfg_env_bool("VALOR_TEST_BOOL", 1, &v, err, sizeof(err)), VALOR_OK);
        ck_assert_int_eq(v, 0);
    }
    setenv("VALOR_TEST_BOOL", "truthy", 1);
    ck_assert_int_eq(cfg_env_bool("VALOR_TEST_BOOL", 1, &v, err, sizeof(err)), VALOR_E_INVALID);
    ck_assert_str_eq(err, "VALOR_TEST_BOOL must be true or false");
    unsetenv("VALOR_TEST_BOOL");
    ck_assert_int_eq(cfg_env_bool("VALOR_TEST_BOOL", 1, &v, err, sizeof(err)), VALOR_OK);
    ck_assert_int_eq(v, 1);
}
END_TEST

START_TEST(test_env_str)
{
    setenv("VALOR_TEST_NUM", "abc", 1);
    ck_assert_str_eq(cfg_env_str("VALOR_TEST_NUM", "def"), "abc");
    setenv("VALOR_TEST_NUM", "", 1);
    ck_assert_str_eq(cfg_env_str("VALOR_TEST_NUM", "def"), "def");
    unsetenv("VALOR_TEST_NUM");
    ck_assert_str_eq(cfg_env_str("VALOR_TEST_NUM", "def"), "def");
    ck_assert_ptr_null(cfg_env_str("VALOR_TEST_NUM", NULL));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cfg");
    TCase *neg = tcase_create("refusals");
    tcase_set_timeout(neg, 10);
    int n = (int)(sizeof(placeholders) / sizeof(placeholders[0]));
    tcase_add_loop_test(neg, test_production_refuses_placeholder_jwt_secret, 0, n);
    tcase_add_loop_test(neg, test_production_refuses_placeholder_secret_key, 0, n);
    tcase_add_test(neg, test_production_refuses_unset_or_empty_secret);
    tcase_add_test(neg, test_production_refuses_short_secret);
    tcase_add_test(neg, test_production_refuses_debug_log_level);
    tcase_add_test(neg, test_production_refuses_weak_previous_key);
    tcase_add_test(neg, test_legacy_flask_env_production);
    tcase_add_test(neg, test_unknown_app_env_refused);
    tcase_add_test(neg, test_bad_shared_variable_refused);
    tcase_add_test(neg, test_env_long_rejects_garbage);
    tcase_add_test(neg, test_env_long_range);
    suite_add_tcase(s, neg);

    TCase *pos = tcase_create("loading");
    tcase_set_timeout(pos, 10);
    tcase_add_test(pos, test_production_accepts_good_config);
    tcase_add_test(pos, test_previous_keys_parsed);
    tcase_add_test(pos, test_development_generates_secret);
    tcase_add_test(pos, test_defaults);
    tcase_add_test(pos, test_overrides);
    tcase_add_test(pos, test_env_bool);
    tcase_add_test(pos, test_env_str);
    suite_add_tcase(s, pos);
    return tu_run(s);
}
