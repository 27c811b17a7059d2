import HTTPTypes
import Hummingbird
import KeywardCore
import KeywardCrypto

/// Signed double-submit protection for every web form.
///
/// The browser holds a random value in the `__Host-keyward_csrf` cookie (Secure, HttpOnly,
/// SameSite=Strict); each form carries the HMAC of that value under the server key. A post is
/// accepted only when both arrive and match, and never from a cross-site fetch. A post with no
/// cookies at all means the browser refuses cookies, which the pages explain.
struct CSRFGuard: Sendable {
    static let cookieName = "__Host-keyward_csrf"
    static let fieldName = "csrf"
    let hasher: KeyedHasher

    /// The form token for a request, and the cookie to set when the browser has none yet.
    func token(for request: Request) -> (token: String, cookie: Cookie?) {
        if let existing = request.cookies[Self.cookieName]?.value, existing.utf8.count >= 32 {
            return (formToken(existing), nil)
        }
        let seed = SecureRandom.token()
        let cookie = Cookie(name: Self.cookieName, value: seed, path: "/", secure: true, httpOnly: true, sameSite: .strict)
        return (formToken(seed), cookie)
    }

    /// Throws `cookies.disabled` when the browser sent no cookie, `csrf.invalid` when the token is
    /// missing, wrong, or the request is cross-site.
    func verify(_ request: Request, form: [String: String]) throws {
        if request.headers[.secFetchSite] == "cross-site" { throw KeywardError.csrfInvalid }
        guard let seed = request.cookies[Self.cookieName]?.value else {
            if request.headers[.cookie] == nil { throw KeywardError.cookiesDisabled }
            throw KeywardError.csrfInvalid
        }
        guard let submitted = form[Self.fieldName],
              ConstantTime.equals(Array(submitted.utf8), Array(formToken(seed).utf8))
        else { throw KeywardError.csrfInvalid }
    }

    private func formToken(_ seed: String) -> String {
        hasher.hash(seed, purpose: "csrf")
    }
}

extension KeywardError {
    /// The browser sent no cookies back.
    static let cookiesDisabled = KeywardError(code: "cookies.disabled", status: 400)
}

extension HTTPField.Name {
    static let secFetchSite = Self("Sec-Fetch-Site")!
}
