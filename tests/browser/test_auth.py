"""Register, sign in (username and email), field-named errors, sign-out revokes, the access
token refreshed before it expires, a replayed session lands on the sign-in page."""

from lib import API, Keys, PASSWORD, PHONE, check, unique


def case_register_and_sign_in(t):
    b = t.browser(allow={401})
    b.open("")
    b.el("#login-form", "the sign-in page")
    b.shot("login")
    b.click("#to-register")
    b.el("#register-form")
    b.shot("register")
    name = unique("reg")
    email = f"{name}@example.com"
    b.fill("#register-form [name='username']", name)
    b.fill("#register-form [name='email']", email)
    b.fill("#register-form [name='password']", PASSWORD)
    b.click("#register-form button[type='submit']")
    b.signed_in()
    b.wait_text("#topbar .user-name", name, "the new user's name in the top bar")
    check(b.el("#topbar [data-role]").get_attribute("data-role") == "admin", "the first user of a new tenant is its admin")
    check(b.js("return location.hash") == "#/company", "after registering the console opens Company")
    check(b.session()["user"]["username"] == name, "the session is kept in sessionStorage")
    check(b.js("return document.cookie") == "", "no token is kept in a cookie")

    # sign out, then sign in with the email address; a wrong password is named in place
    b.click("#signout")
    b.wait_text("#login-message", "signed out")
    b.fill("#login-form [name='username']", email)
    b.fill("#login-form [name='password']", "Not-The-Password-1!")
    b.click("#login-form button[type='submit']")
    b.wait_text(".field[data-field='password'] .field-error", "Invalid username or password")
    # keyboard only: the password field has focus again; type and press Enter
    active = b.js("return document.activeElement.name")
    check(active == "password", f"focus returns to the password field (got {active})")
    pw = b.field("password")
    pw.send_keys(Keys.CONTROL, "a")
    pw.send_keys(PASSWORD, Keys.ENTER)
    b.signed_in()
    b.wait_text("#topbar .user-name", name)


def case_register_errors_name_the_field(t):
    b = t.browser(allow={400})
    b.open("#/register")
    b.fill("#register-form [name='username']", unique("short"))
    b.fill("#register-form [name='email']", "someone@example.com")
    b.fill("#register-form [name='password']", "short")
    b.click("#register-form button[type='submit']")
    e = b.wait_text(".field[data-field='password'] .field-error", "at least 12 characters")
    check("Password must be at least 12 characters long" in e.text, f"the API's message under Password: {e.text}")
    check(b.field("password").get_attribute("aria-invalid") == "true", "the password field is marked invalid")
    b.fill("#register-form [name='username']", "x!")
    b.click("#register-form button[type='submit']")
    b.wait_text(".field[data-field='username'] .field-error", "at least 3 characters")
    b.size(PHONE)
    b.shot("register-errors")
    check(b.no_horizontal_overflow(), "the register page fits 390 px")


def case_sign_out_revokes(t):
    api = API.register("out")
    b = t.browser(allow={401})
    b.sign_in(api.user["username"])
    s = b.session()
    check(API(s["access_token"], api.tenant).call("GET", "/api/auth/profile").status == 200,
          "the console's access token works before signing out")
    b.click("#signout")
    b.wait_text("#login-message", "You are signed out")
    check(b.session() is None, "sessionStorage no longer holds the session")
    check(API(s["access_token"], api.tenant).call("GET", "/api/auth/profile").status == 401,
          "the access token is revoked by signing out")
    r = API().call("POST", "/api/auth/refresh", {"refresh_token": s["refresh_token"]})
    check(r.status == 401, f"the refresh token is revoked by signing out (got {r.status})")
    b.open("#/runs")
    b.el("#login-form", "a reload after signing out stays on the sign-in page")


def case_refresh_before_expiry(t):
    api = API.register("rot")
    b = t.browser()
    b.sign_in(api.user["username"])
    first = b.session()
    # The access token is refreshed at 80 % of its lifetime: pretend that time has come.
    b.js("const s = JSON.parse(sessionStorage.getItem('valor.session'));"
         "s.expires_at = Date.now() + 5000; sessionStorage.setItem('valor.session', JSON.stringify(s));")
    b.d.refresh()
    b.wait(lambda d: (b.session() or {}).get("refresh_token") not in (None, first["refresh_token"]),
           "the refresh token to be rotated")
    second = b.session()
    check(second["access_token"] != first["access_token"], "a new access token was issued")
    check(second["expires_at"] > first["expires_at"] - 60000, "the new token has a fresh lifetime")
    check(API(second["access_token"], api.tenant).call("GET", "/api/auth/profile").status == 200,
          "the new access token works")
    b.go("#/runs/dcf")
    b.el("#runs-list .empty, #runs-table", "the runs page with the refreshed token")
    b.signed_in()


def case_replayed_session_lands_on_sign_in(t):
    api = API.register("rep")
    b = t.browser(allow={401})
    b.sign_in(api.user["username"])
    stolen = b.session()["refresh_token"]
    b.js("const s = JSON.parse(sessionStorage.getItem('valor.session'));"
         "s.expires_at = Date.now() + 5000; sessionStorage.setItem('valor.session', JSON.stringify(s));")
    b.d.refresh()
    b.wait(lambda d: (b.session() or {}).get("refresh_token") not in (None, stolen), "a rotation")
    # Someone replays the old refresh token: the server revokes the whole session.
    r = API().call("POST", "/api/auth/refresh", {"refresh_token": stolen})
    check(r.status == 401, f"a replayed refresh token is refused (got {r.status})")
    b.go("#/runs/dcf")
    b.el("#login-form", "the sign-in page after the session was revoked")
    msg = b.wait_text("#login-message", "session has ended").text
    check("sign in again" in msg.lower(), f"the sign-in page says what happened: {msg}")
    b.shot("session-ended")


CASES = [case_register_and_sign_in, case_register_errors_name_the_field, case_sign_out_revokes,
         case_refresh_before_expiry, case_replayed_session_lands_on_sign_in]
