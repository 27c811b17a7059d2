import Foundation

/// A credential method's name: the password, and the ways to prove, after it, that the person holds
/// the account's second factor. Requests name only the second-factor methods.
public enum SecondFactorMethod: String, Sendable, CaseIterable, Codable {
    /// A one-time code sent to the account's email address.
    case emailCode = "email_code"
    /// A one-time code sent by SMS to the account's phone number.
    case smsCode = "sms_code"
    /// A code from the authenticator app bound to the account (RFC 6238).
    case totp
    /// One of the account's single-use recovery codes, kept for when its other factors are lost.
    case recoveryCode = "recovery_code"
    /// A passkey registered to the account (WebAuthn), answered with the JSON of an assertion.
    case passkey
    /// The account's password: the first factor, never accepted where a second one is asked.
    case password

    /// The channel a code for this method is sent on; `nil` for the authenticator.
    public var channel: DeliveryChannel? {
        switch self {
        case .emailCode: return .email
        case .smsCode: return .sms
        case .totp, .recoveryCode, .passkey, .password: return nil
        }
    }

    /// The method that sends codes on `channel`.
    public init(channel: DeliveryChannel) {
        self = channel == .email ? .emailCode : .smsCode
    }

    /// Parses a method name from a request; throws `second_factor.method_invalid` for anything else.
    public static func parse(_ raw: String) throws(KeywardError) -> SecondFactorMethod {
        guard let method = SecondFactorMethod(rawValue: raw), method != .password else { throw .secondFactorMethodInvalid }
        return method
    }
}

/// One method offered at a second-factor step, with where its code would go (masked).
public struct SecondFactorOption: Sendable, Equatable {
    /// The method.
    public let method: SecondFactorMethod
    /// The masked email or phone a code goes to; `nil` for the authenticator.
    public let destination: String?

    /// An option for `method`, sending to `destination`.
    public init(method: SecondFactorMethod, destination: String?) {
        self.method = method
        self.destination = destination
    }
}

/// Which factors an account has bound; ``SecondFactorStep/required(for:)`` says which it must
/// present at sign-in.
public struct AccountFactors: Sendable, Equatable {
    /// The verified email address, if bound.
    public let email: Identifier?
    /// The verified phone number, if bound.
    public let phone: Identifier?
    /// Whether an authenticator app is bound.
    public let authenticator: Bool
    /// How many unused recovery codes the account has.
    public let recoveryCodesRemaining: Int
    /// How many passkeys the account has.
    public let passkeys: Int

    /// The policy of an account with these factors.
    public init(email: Identifier?, phone: Identifier?, authenticator: Bool, recoveryCodesRemaining: Int = 0,
                passkeys: Int = 0) {
        self.email = email
        self.phone = phone
        self.authenticator = authenticator
        self.recoveryCodesRemaining = recoveryCodesRemaining
        self.passkeys = passkeys
    }

    /// The policy read from the account's verified identifiers, authenticator, recovery codes and passkeys.
    public init(identifiers: [AccountIdentifier], authenticator: Bool, recoveryCodesRemaining: Int = 0, passkeys: Int = 0) {
        let verified = identifiers.filter { $0.verifiedAt != nil }.map(\.identifier)
        self.init(email: verified.first { $0.kind == .email }, phone: verified.first { $0.kind == .phone },
                  authenticator: authenticator, recoveryCodesRemaining: recoveryCodesRemaining, passkeys: passkeys)
    }

    /// The account's factors as stored now.
    public static func load(accountId: String, in stores: any KeywardStores) async throws -> AccountFactors {
        let identifiers = try await stores.accounts.identifiers(accountId: accountId)
        let authenticator = try await stores.authenticators.find(accountId: accountId, state: .active)
        return AccountFactors(identifiers: identifiers, authenticator: authenticator != nil,
                           recoveryCodesRemaining: try await stores.recoveryCodes.remaining(accountId: accountId),
                           passkeys: try await stores.passkeys.count(accountId: accountId))
    }

    /// The identifier a code for `channel` goes to.
    public func destination(for channel: DeliveryChannel) -> Identifier? {
        channel == .email ? email : phone
    }

    /// Every factor bound, as method names.
    public var bound: [SecondFactorMethod] {
        (email == nil ? [] : [.emailCode]) + (phone == nil ? [] : [.smsCode]) + (authenticator ? [.totp] : [])
            + (passkeys > 0 ? [.passkey] : []) + (recoveryCodesRemaining > 0 ? [.recoveryCode] : [])
    }
}

extension Identifier {
    /// The identifier with most of it hidden, for showing where a code went: `a•••e@example.com`,
    /// `+44•••••••789`.
    public var masked: String {
        switch kind {
        case .email:
            let local = localPart, domain = value.dropFirst(local.count)
            let shown = local.count <= 2 ? String(local.prefix(1)) : "\(local.prefix(1))•••\(local.suffix(1))"
            return shown + domain
        case .phone:
            let digits = value.dropFirst()
            return "+" + digits.prefix(2) + String(repeating: "•", count: max(0, digits.count - 5)) + digits.suffix(3)
        }
    }
}
