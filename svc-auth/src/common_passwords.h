/* common_passwords: the shipped list of common passwords (generated from
 * svc-auth/data/common-passwords.txt by svc-auth/data/gen-common-passwords.sh). */
#ifndef VALOR_AUTH_COMMON_PASSWORDS_H
#define VALOR_AUTH_COMMON_PASSWORDS_H

#include <stddef.h>

/* Lower-case, sorted by strcmp, distinct. */
extern const char *const auth_common_passwords[];
extern const size_t auth_common_passwords_count;

#endif
