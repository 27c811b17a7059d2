import Foundation
public import KeywardCrypto

/// What enrolment shows the person, once: the key to type or keep, and the same as a URI and QR code.
public struct AuthenticatorEnrolment: Sendable {
    /// The secret in base32, grouped in fours for reading aloud or writing down.
    public let secret: String
    /// The `otpauth://totp/…` URI authenticator apps import.
    public let otpauthURI: String
    /// The URI as a QR code, in SVG.
    public let qrSVG: String
}

/// The authenticator-app credential method: enrolment, code checks with replay refusal, removal.
///
/// Secrets are sealed under the server's sealing key, bound to the account and the authenticator's
/// id, and are never shown again after enrolment.
public struct Authenticators: Sendable {
    private let sealer: Sealer
    private let clock: any KeywardClock
    /// The rules in force.
    public let settings: AuthenticatorSettings

    /// Authenticators sealed with `sealer`.
    public init(sealer: Sealer, clock: any KeywardClock, settings: AuthenticatorSettings) {
        self.sealer = sealer
        self.clock = clock
        self.settings = settings
    }

    /// Generates a secret for the account, stores it sealed as a pending enrolment (replacing any
    /// earlier pending one), and returns what the person needs to add it to an app.
    /// `accountName` is the label the app shows (the person's email or phone).
    public func enrol(accountId: String, accountName: String, in stores: any KeywardStores) async throws -> AuthenticatorEnrolment {
        let secret = SecureRandom.bytes(settings.secretBytes)
        let id = SecureRandom.uuid()
        let sealed = try sealer.seal(secret, context: Self.context(accountId: accountId, id: id))
        try await stores.authenticators.insertPending(Authenticator(
            id: id, accountId: accountId, state: .pending, sealedSecret: Data(sealed).base64EncodedString(),
            lastUsedStep: nil, createdAt: clock.now(), confirmedAt: nil))
        return try enrolment(secret: secret, accountName: accountName)
    }

    /// What the account's enrolment still waiting for its first code shows, so that a page reloaded
    /// or a mistyped code does not lose the key the person may already have scanned; `nil` once
    /// there is none or it has expired. After confirmation the key is never shown again.
    public func pendingEnrolment(accountId: String, accountName: String,
                                 in stores: any KeywardStores) async throws -> AuthenticatorEnrolment? {
        guard let pending = try await stores.authenticators.find(accountId: accountId, state: .pending),
              pending.createdAt.addingTimeInterval(settings.enrolmentLifetime) > clock.now()
        else { return nil }
        return try enrolment(secret: try open(pending), accountName: accountName)
    }

    /// What enrolling `secret` shows: the key, the `otpauth` URI labelled `accountName`, its QR code.
    public func enrolment(secret: [UInt8], accountName: String) throws -> AuthenticatorEnrolment {
        let key = Base32.encode(secret)
        let uri = Self.otpauthURI(secret: key, issuer: settings.issuer, accountName: accountName)
        let qr = try QRCode(text: uri, errorCorrectionLevel: .medium)
        return AuthenticatorEnrolment(secret: Self.grouped(key), otpauthURI: uri,
                                      qrSVG: qr.svg(label: "QR code to add \(settings.issuer) to an authenticator app"))
    }

    /// Checks `entered` against `authenticator` at the current time within the window and claims its
    /// time step, so that no code is accepted twice. Throws `totp.invalid`, or `totp.reused` for a
    /// code whose step (or a later one) was already used.
    public func verify(_ entered: String, authenticator: Authenticator, in stores: any KeywardStores) async throws {
        let step = try matchingStep(entered, secret: try open(authenticator))
        guard try await stores.authenticators.claimStep(id: authenticator.id, step: step) else {
            throw KeywardError.totpReused
        }
    }

    /// How far from now, in time steps either way, a refused code is still recognised as the app's
    /// code for another time, to tell the person their phone's clock is off: 20 steps, 10 minutes.
    public static let skewSteps = 20

    /// The time step within the window whose code for `secret` is `entered` now; throws
    /// `totp.invalid`, or `totp.clock_skew` (a wrong guess all the same) for the app's code of a
    /// time up to 10 minutes away. The caller claims the step so that no code is accepted twice.
    public func matchingStep(_ entered: String, secret: [UInt8]) throws -> Int64 {
        let normalized = String(entered.filter { !$0.isWhitespace && $0 != "-" })
        guard normalized.count == 6, normalized.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw KeywardError.totpInvalid
        }
        let generator = OneTimePassword(secret: secret), now = clock.now()
        if let step = generator.matchingStep(normalized, at: now, window: settings.window) {
            return Int64(step)
        }
        if let step = generator.matchingStep(normalized, at: now, window: Self.skewSteps) {
            let seconds = (Int64(step) - Int64(generator.step(at: now))) * Int64(generator.period)
            throw KeywardError.totpClockSkew(seconds: Int(seconds))
        }
        throw KeywardError.totpInvalid
    }

    /// The `otpauth` URI for a base32 `secret` (Key Uri Format: label `issuer:account`, with the
    /// issuer repeated as a parameter, SHA-1, 6 digits, 30 s).
    public static func otpauthURI(secret: String, issuer: String, accountName: String) -> String {
        let label = percentEncoded(issuer) + ":" + percentEncoded(accountName)
        return "otpauth://totp/\(label)?secret=\(secret)&issuer=\(percentEncoded(issuer))&algorithm=SHA1&digits=6&period=30"
    }

    /// `key` in groups of four characters separated by spaces.
    public static func grouped(_ key: String) -> String {
        var groups: [Substring] = []
        var rest = Substring(key)
        while !rest.isEmpty {
            groups.append(rest.prefix(4))
            rest = rest.dropFirst(4)
        }
        return groups.joined(separator: " ")
    }

    private func open(_ authenticator: Authenticator) throws -> [UInt8] {
        guard let sealed = Data(base64Encoded: authenticator.sealedSecret) else { throw KeywardError.internalError }
        return try sealer.open(Array(sealed), context: Self.context(accountId: authenticator.accountId, id: authenticator.id))
    }

    private static func context(accountId: String, id: String) -> String {
        "authenticator:\(accountId):\(id)"
    }

    private static func percentEncoded(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics.intersection(CharacterSet(charactersIn: Unicode.Scalar(0)..<Unicode.Scalar(128)))
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}
