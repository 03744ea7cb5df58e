/* auth_rules: username, email, password, slug and role rules (see auth_rules.h). */
#include "auth_rules.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common_passwords.h"
#include "valor/crypto.h"
#include "valor/err.h"

static size_t utf8_length(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

static int is_lower(int c)
{
    return c >= 'a' && c <= 'z';
}

static int is_upper(int c)
{
    return c >= 'A' && c <= 'Z';
}

static int is_digit(int c)
{
    return c >= '0' && c <= '9';
}

static int is_alnum(int c)
{
    return is_lower(c) || is_upper(c) || is_digit(c);
}

const char *auth_check_username(const char *username)
{
    size_t n = utf8_length(username);
    if (n < AUTH_USERNAME_MIN)
        return "Username must be at least 3 characters long";
    for (const char *p = username; *p; p++)
        if (!is_alnum((unsigned char)*p) && *p != '_' && *p != '-')
            return "Username can only contain letters, numbers, underscores, and hyphens";
    if (n > AUTH_USERNAME_MAX)
        return "Username must be at most 64 characters long";
    return NULL;
}

/* local@domain.tld: an unquoted dot-atom local part, a domain of at least two
 * dot-separated labels of [A-Za-z0-9-] (no leading/trailing hyphen) whose
 * last label is at least two letters. */
static int local_char(int c)
{
    return is_alnum(c) || (c != '\0' && strchr("!#$%&'*+/=?^_`{|}~.-", c) != NULL);
}

static int domain_valid(const char *d)
{
    const char *label = d, *last = NULL;
    int labels = 0;
    for (const char *p = d;; p++) {
        if (*p == '.' || *p == '\0') {
            size_t len = (size_t)(p - label);
            if (len == 0 || len > 63 || label[0] == '-' || p[-1] == '-')
                return 0;
            labels++;
            last = label;
            if (*p == '\0')
                break;
            label = p + 1;
        } else if (!is_alnum((unsigned char)*p) && *p != '-') {
            return 0;
        }
    }
    if (labels < 2 || strlen(last) < 2)
        return 0;
    for (const char *p = last; *p; p++)
        if (!is_lower((unsigned char)*p) && !is_upper((unsigned char)*p))
            return 0;
    return 1;
}

const char *auth_check_email(const char *email)
{
    static const char *const bad = "Please provide a valid email address";
    const char *at = strchr(email, '@');
    if (at == NULL || at == email || strchr(at + 1, '@') != NULL ||
        strlen(email) > AUTH_EMAIL_MAX || (size_t)(at - email) > 64)
        return bad;
    if (email[0] == '.' || at[-1] == '.')
        return bad;
    for (const char *p = email; p < at; p++)
        if (!local_char((unsigned char)*p) || (p[0] == '.' && p[1] == '.'))
            return bad;
    return domain_valid(at + 1) ? NULL : bad;
}

static int cmp_str(const void *key, const void *elem)
{
    return strcmp((const char *)key, *(const char *const *)elem);
}

int auth_password_is_common(const char *password)
{
    char lower[CRYPTO_BCRYPT_MAX_PASSWORD + 1];
    size_t n = strlen(password);
    if (n > CRYPTO_BCRYPT_MAX_PASSWORD)
        return 0; /* longer than anything on the list */
    for (size_t i = 0; i <= n; i++) {
        int c = (unsigned char)password[i];
        lower[i] = (char)(is_upper(c) ? c - 'A' + 'a' : c);
    }
    return bsearch(lower, auth_common_passwords, auth_common_passwords_count,
                   sizeof(auth_common_passwords[0]), cmp_str) != NULL;
}

const char *auth_check_password(const char *password, char msg[AUTH_MSG_LEN])
{
    static const char *const names[] = {"lowercase letters", "uppercase letters", "numbers",
                                        "special characters"};
    int has[4] = {0, 0, 0, 0}, missing = 0;
    size_t off;

    if (utf8_length(password) < AUTH_PASSWORD_MIN)
        return "Password must be at least 12 characters long";
    if (strlen(password) > CRYPTO_BCRYPT_MAX_PASSWORD)
        return "Password must be at most 72 bytes";
    for (const char *p = password; *p; p++) {
        int c = (unsigned char)*p;
        has[is_lower(c) ? 0 : is_upper(c) ? 1 : is_digit(c) ? 2 : 3] = 1;
    }
    off = (size_t)snprintf(msg, AUTH_MSG_LEN, "Password must contain: ");
    for (int i = 0; i < 4; i++) {
        if (has[i])
            continue;
        off +=
            (size_t)snprintf(msg + off, AUTH_MSG_LEN - off, "%s%s", missing ? ", " : "", names[i]);
        missing++;
    }
    if (missing > 0)
        return msg;
    if (auth_password_is_common(password))
        return "Password is too common";
    return NULL;
}

const char *auth_check_new_user(const char *username, const char *email, const char *password,
                                char msg[AUTH_MSG_LEN])
{
    const char *why = auth_check_username(username);
    if (why == NULL)
        why = auth_check_email(email);
    if (why == NULL)
        why = auth_check_password(password, msg);
    return why;
}

int auth_slug_valid(const char *s)
{
    size_t n = strlen(s);
    if (n < 2 || n > AUTH_SLUG_MAX ||
        !(is_lower((unsigned char)s[0]) || is_digit((unsigned char)s[0])))
        return 0;
    for (size_t i = 1; i < n; i++)
        if (!is_lower((unsigned char)s[i]) && !is_digit((unsigned char)s[i]) && s[i] != '-')
            return 0;
    return 1;
}

int auth_slug_derive(const char *username, char out[AUTH_SLUG_MAX + 1])
{
    size_t n = 0;
    const char *p = username;

    for (; *p && n < AUTH_SLUG_MAX; p++) {
        int c = (unsigned char)*p;
        if (is_upper(c))
            c = c - 'A' + 'a';
        else if (!is_lower(c) && !is_digit(c))
            c = '-';
        if (c == '-' && n == 0)
            continue; /* a slug starts with a letter or digit */
        out[n++] = (char)c;
    }
    while (n > 0 && out[n - 1] == '-')
        n--;
    out[n] = '\0';
    return auth_slug_valid(out) ? VALOR_OK : VALOR_E_INVALID;
}

int auth_role_valid(const char *role)
{
    return strcmp(role, "admin") == 0 || strcmp(role, "analyst") == 0 ||
           strcmp(role, "viewer") == 0;
}
