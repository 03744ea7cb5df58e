/* svc-auth: a POST /api/auth/register body → the field reads of
 * auth_new_user_read (jsonv_string, 1024 code points each) and the account
 * rules of auth_rules.c in api.md's order, then the tenant slug (given and
 * checked, or derived from the username) and the role check of members. */
#include "auth_rules.h"
#include "fuzz_common.h"
#include "valor/err.h"
#include "valor/jsonv.h"

#define FIELD_MAX 1024 /* as svc-auth/src/handlers_common.c */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *body = fuzz_json(data, size);
    const char *user = NULL, *email = NULL, *password = NULL, *tenant = NULL, *role = NULL;
    char msg[AUTH_MSG_LEN], slug[AUTH_SLUG_MAX + 1];
    struct jsonv_err e = {0};

    if (body == NULL)
        return 0;
    if (!json_is_object(body) ||
        jsonv_string(body, "username", JSONV_REQUIRED, 0, FIELD_MAX, &user, &e) < 0 ||
        jsonv_string(body, "email", JSONV_REQUIRED, 0, FIELD_MAX, &email, &e) < 0 ||
        jsonv_string(body, "password", JSONV_REQUIRED, 0, FIELD_MAX, &password, &e) < 0 ||
        jsonv_string(body, "tenant", JSONV_OPTIONAL, 0, FIELD_MAX, &tenant, &e) < 0 ||
        jsonv_string(body, "role", JSONV_OPTIONAL, 0, FIELD_MAX, &role, &e) < 0)
        goto out;
    if (auth_check_new_user(user, email, password, msg) == NULL) {
        /* accepted: each single rule agrees */
        FUZZ_ASSERT(auth_check_username(user) == NULL && auth_check_email(email) == NULL &&
                    auth_check_password(password, msg) == NULL);
        FUZZ_ASSERT(!auth_password_is_common(password));
    }
    if (tenant != NULL && auth_slug_valid(tenant))
        FUZZ_ASSERT(strlen(tenant) <= AUTH_SLUG_MAX);
    if (auth_slug_derive(user, slug) == VALOR_OK)
        FUZZ_ASSERT(auth_slug_valid(slug));
    if (role != NULL)
        (void)auth_role_valid(role);
out:
    json_decref(body);
    return 0;
}
