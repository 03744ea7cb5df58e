/* auth_rules: the account rules of api.md §2 as pure functions — username,
 * email and password checks in the documented order with their exact
 * messages, tenant slugs and roles. */
#ifndef VALOR_AUTH_RULES_H
#define VALOR_AUTH_RULES_H

#include <stddef.h>

#define AUTH_USERNAME_MIN 3
#define AUTH_USERNAME_MAX 64
#define AUTH_EMAIL_MAX 254
#define AUTH_PASSWORD_MIN 12
#define AUTH_SLUG_MAX 63
#define AUTH_MSG_LEN 160

/* Each check returns NULL when the value is acceptable, else the message
 * (a static string, or msg when it had to be composed). */
const char *auth_check_username(const char *username);
const char *auth_check_email(const char *email);
/* Rules 4 (length), the 72-byte bcrypt limit, 5 (classes) and 6 (common). */
const char *auth_check_password(const char *password, char msg[AUTH_MSG_LEN]);
/* Rules 1–6 in api.md's order: the first broken rule's message, or NULL. */
const char *auth_check_new_user(const char *username, const char *email, const char *password,
                                char msg[AUTH_MSG_LEN]);

/* 1 when the password is on the shipped common list (case-insensitive). */
int auth_password_is_common(const char *password);

/* 1 when s matches ^[a-z0-9][a-z0-9-]{1,62}$. */
int auth_slug_valid(const char *s);
/* The tenant slug derived from a username: lower-cased, every character
 * outside [a-z0-9-] replaced by '-', leading and trailing '-' trimmed, cut to
 * 63 characters. VALOR_E_INVALID when nothing valid remains. */
int auth_slug_derive(const char *username, char out[AUTH_SLUG_MAX + 1]);

/* 1 for "admin", "analyst", "viewer". */
int auth_role_valid(const char *role);

#endif
