/* svc-deals notes over HTTP: versions, ETags, conditional requests,
 * concurrent writers, tenants and roles. */
#include <pthread.h>

#include "deals_testutil.h"
#include "handlers_notes.h"

/* The ETag response header of the last response ("" when none). */
static const char *etag_of(const struct dt_resp *r, char *buf, size_t len)
{
    if (tu_http_header(&r->raw, "ETag", buf, len) != 0)
        buf[0] = '\0';
    return buf;
}

START_TEST(test_ticker_and_etag_parsing)
{
    char t[NOTES_TICKER_MAX + 1];
    ck_assert_int_eq(notes_ticker("brk.b", t, sizeof(t)), VALOR_OK);
    ck_assert_str_eq(t, "BRK.B");
    ck_assert_int_eq(notes_ticker("RDS-A", t, sizeof(t)), VALOR_OK);
    ck_assert_int_eq(notes_ticker("", t, sizeof(t)), VALOR_E_INVALID);
    ck_assert_int_eq(notes_ticker("ABCDEFGHIJKLMNOPQRSTU", t, sizeof(t)), VALOR_E_INVALID);
    ck_assert_int_eq(notes_ticker("A B", t, sizeof(t)), VALOR_E_INVALID);
    ck_assert_int_eq(notes_ticker("A/B", t, sizeof(t)), VALOR_E_INVALID);
    ck_assert_int_eq(notes_ticker("\xc3\xa9", t, sizeof(t)), VALOR_E_INVALID);

    ck_assert(notes_etag_matches("\"abc\"", "abc", 0));
    ck_assert(notes_etag_matches("abc", "abc", 0));
    ck_assert(notes_etag_matches("\"x\", \"abc\"", "abc", 0));
    ck_assert(notes_etag_matches("*", "abc", 0));
    ck_assert(!notes_etag_matches("*", NULL, 0));
    ck_assert(!notes_etag_matches("\"abc\"", NULL, 0));
    ck_assert(!notes_etag_matches("\"abcd\"", "abc", 0));
    ck_assert(!notes_etag_matches("\"ab\"", "abc", 0));
    ck_assert(!notes_etag_matches("W/\"abc\"", "abc", 0)); /* If-Match: strong only */
    ck_assert(notes_etag_matches("W/\"abc\"", "abc", 1));  /* If-None-Match: weak */
    ck_assert(!notes_etag_matches("", "abc", 1));
}
END_TEST

START_TEST(test_refusals_write_nothing)
{
    struct dt_resp r = {0};

    dt_req(&r, "GET", "/api/notes/AAPL", NULL, dt.tenant_a, NULL, NULL);
    dt_expect(&r, 401, "Authorization header required");
    dt_req(&r, "POST", "/api/notes/AAPL", dt.analyst_a, NULL, "{\"content\":\"x\"}", NULL);
    dt_expect(&r, 400, "Tenant ID required");
    dt_req(&r, "POST", "/api/notes/AAPL", dt.analyst_a, dt.tenant_b, "{\"content\":\"x\"}", NULL);
    dt_expect(&r, 403, "Tenant mismatch");
    dt_req(&r, "POST", "/api/notes/AAPL", dt.viewer_a, dt.tenant_a, "{\"content\":\"x\"}", NULL);
    dt_expect(&r, 403, "Insufficient permissions");
    dt_req(&r, "PUT", "/api/notes/AAPL", dt.viewer_a, dt.tenant_a, "{\"content\":\"x\"}", NULL);
    dt_expect(&r, 403, "Insufficient permissions");

    DT_A(&r, "POST", "/api/notes/AAPL", "{}");
    dt_expect(&r, 400, "Invalid notes data");
    DT_A(&r, "POST", "/api/notes/AAPL", "{\"content\": 5}");
    dt_expect(&r, 400, "Invalid notes data");
    DT_A(&r, "POST", "/api/notes/AAPL", "{\"content\": null}");
    dt_expect(&r, 400, "Invalid notes data");
    DT_A(&r, "POST", "/api/notes/AAPL", "[\"x\"]");
    dt_expect(&r, 400, "Invalid notes data");
    DT_A(&r, "POST", "/api/notes/AAPL", "{\"content\": \"x\", \"version\": \"1\"}");
    dt_expect(&r, 400, "Invalid notes data");
    ck_assert_str_eq(dt_str(&r, "details.0.field"), "version");
    DT_A(&r, "POST", "/api/notes/AAPL", "{\"content\": \"x\", \"version\": -1}");
    dt_expect(&r, 400, "Invalid notes data");
    DT_A(&r, "POST", "/api/notes/AAPL", "{\"content\": \"x\"");
    dt_expect(&r, 400, NULL);
    ck_assert_msg(strncmp(dt_str(&r, "error"), "Invalid JSON: ", 14) == 0, "%s", r.raw.body);
    dt_req(&r, "POST", "/api/notes/AAPL", dt.analyst_a, dt.tenant_a, NULL,
           "Content-Type: text/plain", NULL);
    dt_expect(&r, 415, "Content-Type must be application/json");
    DT_A(&r, "POST", "/api/notes/BAD%20TICKER", "{\"content\": \"x\"}");
    dt_expect_field(&r, "ticker");
    DT_A(&r, "POST", "/api/notes/ABCDEFGHIJKLMNOPQRSTUV", "{\"content\": \"x\"}");
    dt_expect_field(&r, "ticker");
    DT_A(&r, "GET", "/api/notes/A$B", NULL);
    dt_expect_field(&r, "ticker");

    /* 100,000 characters is the limit (counted in characters, not bytes) */
    {
        size_t n = 100001, i;
        char *body = malloc(n * 2 + 32);
        strcpy(body, "{\"content\":\"");
        for (i = 0; i < n; i++)
            body[12 + i] = 'a';
        strcpy(body + 12 + n, "\"}");
        DT_A(&r, "POST", "/api/notes/AAPL", body);
        dt_expect(&r, 400, "Invalid notes data");
        ck_assert_str_eq(dt_str(&r, "details.0.field"), "content");
        body[12 + n - 1] = '"';
        body[12 + n] = '}';
        body[12 + n + 1] = '\0';
        DT_A(&r, "POST", "/api/notes/MSFT", body); /* exactly 100,000 */
        dt_expect(&r, 200, NULL);
        free(body);
    }
    /* a version conflict and a failed If-Match on an absent note write nothing either */
    DT_A(&r, "POST", "/api/notes/AAPL", "{\"content\": \"x\", \"version\": 3}");
    dt_expect(&r, 409, "Version conflict");
    ck_assert_int_eq((int)dt_num(&r, "current_version"), 0);
    dt_req(&r, "POST", "/api/notes/AAPL", dt.analyst_a, dt.tenant_a, "{\"content\": \"x\"}",
           "If-Match: \"0000\"", NULL);
    dt_expect(&r, 412, "ETag conflict");
    dt_req(&r, "POST", "/api/notes/AAPL", dt.analyst_a, dt.tenant_a, "{\"content\": \"x\"}",
           "If-Match: *", NULL);
    dt_expect(&r, 412, "ETag conflict");

    ck_assert_int_eq(dt_rows("notes", dt.tenant_a), 1); /* MSFT only */
    ck_assert_int_eq(dt_events("note.updated", dt.tenant_a), 1);
    dt_free(&r);
}
END_TEST

START_TEST(test_version_and_etag_sequence)
{
    struct dt_resp r = {0};
    char e1[128], e2[128], e3[128], hdr[160], lm[64];

    /* absent: 200, empty, version 0, no ETag */
    DT_A(&r, "GET", "/api/notes/aapl", NULL);
    dt_expect(&r, 200, NULL);
    ck_assert(json_is_true(dt_get(r.json, "success")));
    ck_assert_str_eq(dt_str(&r, "ticker"), "AAPL");
    ck_assert_str_eq(dt_str(&r, "content"), "");
    ck_assert_int_eq((int)dt_num(&r, "version"), 0);
    ck_assert_str_eq(etag_of(&r, e1, sizeof(e1)), "");

    /* create → v1 */
    DT_A(&r, "POST", "/api/notes/AAPL", "{\"content\": \"first\"}");
    dt_expect(&r, 200, NULL);
    ck_assert_str_eq(dt_str(&r, "message"), "Notes saved successfully");
    ck_assert_int_eq((int)dt_num(&r, "version"), 1);
    etag_of(&r, e1, sizeof(e1));
    ck_assert_msg(strlen(e1) == 66 && e1[0] == '"' && e1[65] == '"', "strong quoted: %s", e1);

    /* write with version 1 → v2 (PUT works too) */
    dt_req(&r, "PUT", "/api/notes/AAPL", dt.analyst_a, dt.tenant_a,
           "{\"content\": \"second\", \"version\": 1}", NULL);
    dt_expect(&r, 200, NULL);
    ck_assert_int_eq((int)dt_num(&r, "version"), 2);
    etag_of(&r, e2, sizeof(e2));
    ck_assert_str_ne(e1, e2);

    /* stale version → 409 with the current version; nothing changes */
    DT_A(&r, "POST", "/api/notes/AAPL", "{\"content\": \"lost\", \"version\": 1}");
    dt_expect(&r, 409, "Version conflict");
    ck_assert_int_eq((int)dt_num(&r, "current_version"), 2);

    /* stale ETag → 412 */
    snprintf(hdr, sizeof(hdr), "If-Match: %s", e1);
    dt_req(&r, "POST", "/api/notes/AAPL", dt.analyst_a, dt.tenant_a, "{\"content\": \"lost\"}", hdr,
           NULL);
    dt_expect(&r, 412, "ETag conflict");

    /* current ETag (quoted, then unquoted) → 200 */
    snprintf(hdr, sizeof(hdr), "If-Match: %s", e2);
    dt_req(&r, "POST", "/api/notes/AAPL", dt.analyst_a, dt.tenant_a, "{\"content\": \"third\"}",
           hdr, NULL);
    dt_expect(&r, 200, NULL);
    ck_assert_int_eq((int)dt_num(&r, "version"), 3);
    etag_of(&r, e3, sizeof(e3));
    snprintf(hdr, sizeof(hdr), "If-Match: %.*s", 64, e3 + 1);
    dt_req(&r, "POST", "/api/notes/AAPL", dt.analyst_a, dt.tenant_a,
           "{\"content\": \"fourth\", \"version\": 3}", hdr, NULL);
    dt_expect(&r, 200, NULL);
    ck_assert_int_eq((int)dt_num(&r, "version"), 4);
    etag_of(&r, e3, sizeof(e3));

    /* GET: content, version, author, ETag and Last-Modified */
    DT_A(&r, "GET", "/api/notes/AAPL", NULL);
    dt_expect(&r, 200, NULL);
    ck_assert_str_eq(dt_str(&r, "content"), "fourth");
    ck_assert_int_eq((int)dt_num(&r, "version"), 4);
    ck_assert_str_eq(dt_str(&r, "updated_by"), "101");
    ck_assert_msg(strlen(dt_str(&r, "updated_at")) == 24, "%s", dt_str(&r, "updated_at"));
    ck_assert_str_eq(etag_of(&r, e2, sizeof(e2)), e3);
    ck_assert_int_eq(tu_http_header(&r.raw, "Last-Modified", lm, sizeof(lm)), 0);
    ck_assert_msg(strlen(lm) == 29 && strcmp(lm + 25, " GMT") == 0, "IMF-fixdate: %s", lm);
    ck_assert_ptr_null(json_object_get(r.json, "etag"));

    /* If-None-Match with the current ETag → 304 without a body; stale → 200 */
    snprintf(hdr, sizeof(hdr), "If-None-Match: %s", e3);
    dt_req(&r, "GET", "/api/notes/AAPL", dt.analyst_a, dt.tenant_a, NULL, hdr, NULL);
    dt_expect(&r, 304, NULL);
    ck_assert_int_eq((int)r.raw.len, 0);
    ck_assert_str_eq(etag_of(&r, e2, sizeof(e2)), e3);
    snprintf(hdr, sizeof(hdr), "If-None-Match: %s", e1);
    dt_req(&r, "GET", "/api/notes/AAPL", dt.analyst_a, dt.tenant_a, NULL, hdr, NULL);
    dt_expect(&r, 200, NULL);

    /* lower-case ticker hits the same note; unconditional write → v5 */
    DT_A(&r, "POST", "/api/notes/aapl", "{\"content\": \"fifth\"}");
    dt_expect(&r, 200, NULL);
    ck_assert_int_eq((int)dt_num(&r, "version"), 5);
    DT_A(&r, "GET", "/api/notes/Aapl", NULL);
    ck_assert_str_eq(dt_str(&r, "content"), "fifth");
    ck_assert_int_eq(dt_rows("notes", dt.tenant_a), 1);
    ck_assert_int_eq(dt_events("note.updated", dt.tenant_a), 5);

    /* viewers read */
    dt_req(&r, "GET", "/api/notes/AAPL", dt.viewer_a, dt.tenant_a, NULL, NULL);
    dt_expect(&r, 200, NULL);
    ck_assert_str_eq(dt_str(&r, "content"), "fifth");
    dt_free(&r);
}
END_TEST

START_TEST(test_tenants_do_not_share_notes)
{
    struct dt_resp r = {0};
    char ea[128], hdr[160];

    DT_A(&r, "POST", "/api/notes/NVDA", "{\"content\": \"secret of A\"}");
    dt_expect(&r, 200, NULL);
    etag_of(&r, ea, sizeof(ea));

    DT_B(&r, "GET", "/api/notes/NVDA", NULL);
    dt_expect(&r, 200, NULL);
    ck_assert_str_eq(dt_str(&r, "content"), "");
    ck_assert_int_eq((int)dt_num(&r, "version"), 0);
    /* B's conditional requests see no note; A's ETag means nothing in B */
    snprintf(hdr, sizeof(hdr), "If-Match: %s", ea);
    dt_req(&r, "POST", "/api/notes/NVDA", dt.analyst_b, dt.tenant_b, "{\"content\": \"b\"}", hdr,
           NULL);
    dt_expect(&r, 412, "ETag conflict");
    DT_B(&r, "POST", "/api/notes/NVDA", "{\"content\": \"b\", \"version\": 1}");
    dt_expect(&r, 409, "Version conflict");
    ck_assert_int_eq((int)dt_num(&r, "current_version"), 0);
    DT_B(&r, "POST", "/api/notes/NVDA", "{\"content\": \"b\", \"version\": 0}");
    dt_expect(&r, 200, NULL);
    ck_assert_int_eq((int)dt_num(&r, "version"), 1);

    DT_A(&r, "GET", "/api/notes/NVDA", NULL);
    ck_assert_str_eq(dt_str(&r, "content"), "secret of A");
    ck_assert_int_eq((int)dt_num(&r, "version"), 1);
    dt_free(&r);
}
END_TEST

#define WRITERS 20
#define ROUNDS 4

struct writer {
    pthread_t thread;
    int index;
    int ok, conflicts, other;
    int versions[ROUNDS]; /* versions this writer created */
};

/* Each round: read the current version, write with it. */
static void *writer_main(void *arg)
{
    struct writer *w = arg;
    for (int round = 0; round < ROUNDS; round++) {
        struct dt_resp r = {0};
        char body[128];
        long v;
        DT_A(&r, "GET", "/api/notes/RACE", NULL);
        v = r.status == 200 ? (long)json_integer_value(dt_get(r.json, "version")) : -1;
        snprintf(body, sizeof(body), "{\"content\": \"writer %d round %d\", \"version\": %ld}",
                 w->index, round, v);
        DT_A(&r, "POST", "/api/notes/RACE", body);
        if (r.status == 200)
            w->versions[w->ok++] = (int)json_integer_value(dt_get(r.json, "version"));
        else if (r.status == 409)
            w->conflicts++;
        else
            w->other++;
        dt_free(&r);
    }
    return NULL;
}

START_TEST(test_concurrent_writers_lose_nothing)
{
    struct dt_resp r = {0};
    static struct writer w[WRITERS];
    int ok = 0, conflicts = 0, seen[WRITERS * ROUNDS + 2] = {0};

    DT_A(&r, "POST", "/api/notes/RACE", "{\"content\": \"start\"}");
    dt_expect(&r, 200, NULL); /* version 1; also initialises libcurl on this thread */
    for (int i = 0; i < WRITERS; i++) {
        w[i] = (struct writer){.index = i};
        ck_assert_int_eq(pthread_create(&w[i].thread, NULL, writer_main, &w[i]), 0);
    }
    for (int i = 0; i < WRITERS; i++) {
        pthread_join(w[i].thread, NULL);
        ck_assert_int_eq(w[i].other, 0);
        ok += w[i].ok;
        conflicts += w[i].conflicts;
        for (int k = 0; k < w[i].ok; k++) {
            int v = w[i].versions[k];
            ck_assert_msg(v >= 2 && v <= WRITERS * ROUNDS + 1, "version %d", v);
            ck_assert_msg(!seen[v], "version %d created twice", v);
            seen[v] = 1;
        }
    }
    ck_assert_int_eq(ok + conflicts, WRITERS * ROUNDS);
    ck_assert_int_ge(ok, 1);
    /* every version 2..ok+1 was created exactly once: no lost update */
    for (int v = 2; v <= ok + 1; v++)
        ck_assert_msg(seen[v], "version %d missing", v);
    DT_A(&r, "GET", "/api/notes/RACE", NULL);
    ck_assert_int_eq((int)dt_num(&r, "version"), ok + 1);
    ck_assert_int_eq(dt_rows("notes", dt.tenant_a), 1);
    ck_assert_int_eq(dt_events("note.updated", dt.tenant_a), ok + 1);
    dt_free(&r);
}
END_TEST

/* Concurrent first writers with version 0: exactly one creates the note. */
static void *creator_main(void *arg)
{
    struct writer *w = arg;
    struct dt_resp r = {0};
    DT_A(&r, "POST", "/api/notes/FIRST", "{\"content\": \"mine\", \"version\": 0}");
    if (r.status == 200)
        w->ok++;
    else if (r.status == 409)
        w->conflicts++;
    else
        w->other++;
    dt_free(&r);
    return NULL;
}

START_TEST(test_concurrent_first_writes)
{
    struct dt_resp r = {0};
    static struct writer w[WRITERS];
    int ok = 0, conflicts = 0;

    DT_A(&r, "GET", "/api/notes/FIRST", NULL); /* libcurl initialised on this thread */
    for (int i = 0; i < WRITERS; i++) {
        w[i] = (struct writer){.index = i};
        ck_assert_int_eq(pthread_create(&w[i].thread, NULL, creator_main, &w[i]), 0);
    }
    for (int i = 0; i < WRITERS; i++) {
        pthread_join(w[i].thread, NULL);
        ck_assert_int_eq(w[i].other, 0);
        ok += w[i].ok;
        conflicts += w[i].conflicts;
    }
    ck_assert_int_eq(ok, 1);
    ck_assert_int_eq(conflicts, WRITERS - 1);
    ck_assert_int_eq(dt_rows("notes", dt.tenant_a), 1);
    dt_free(&r);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("svc-deals notes");
    TCase *tc = dt_tcase("notes");
    tcase_add_test(tc, test_ticker_and_etag_parsing);
    tcase_add_test(tc, test_refusals_write_nothing);
    tcase_add_test(tc, test_version_and_etag_sequence);
    tcase_add_test(tc, test_tenants_do_not_share_notes);
    tcase_add_test(tc, test_concurrent_writers_lose_nothing);
    tcase_add_test(tc, test_concurrent_first_writes);
    suite_add_tcase(s, tc);
    return dt_main(s);
}
