public import Foundation

/// Where a sign-in waiting for its device's approval sent the code.
public struct DeviceApprovalRequest: Sendable, Equatable {
    /// The sign-in flow.
    public let flowId: String
    /// The channel the code went to.
    public let channel: DeliveryChannel
    /// The destination, masked as the second step shows it.
    public let destination: String
}

/// What a right second factor leads to: the session, or first the device's approval.
public enum SignInOutcome: Sendable {
    /// Signed in.
    case signedIn(SignInSucceeded)
    /// The device must be approved with the code sent (``SignInService/approveDevice(flowId:code:origin:)``).
    case deviceApprovalRequired(DeviceApprovalRequest)
}

/// New-device approval: when risk control asks for it, a sign-in whose password and second factor
/// were right waits for a code sent to the account's email address (its phone when it has no
/// email), in a "Was this you?" message that says where the sign-in comes from and carries the
/// freeze link. A second factor that was itself a code to that channel proved it already, so
/// such a sign-in is not asked twice.
public struct DeviceApprovals: Sendable {
    /// The purpose approval codes are stored under, apart from the flow's second-factor codes.
    static let purpose = "device-approval"

    private let codes: OneTimeCodes
    private let queue: MessageQueue
    private let clock: any KeywardClock
    private let codeLifetime: TimeInterval

    /// Approvals sending codes with `codes` (lasting `codeLifetime`) through `queue`.
    public init(codes: OneTimeCodes, queue: MessageQueue, clock: any KeywardClock, codeLifetime: TimeInterval) {
        self.codes = codes
        self.queue = queue
        self.clock = clock
        self.codeLifetime = codeLifetime
    }

    /// Where the approval code for `accountId` goes: its verified email address, else its verified
    /// phone; `nil` when the second factor `accepted` was a code to that very channel.
    public func destination(accountId: String, accepted: SecondFactorMethod,
                            in stores: any KeywardStores) async throws -> Identifier? {
        let verified = try await stores.accounts.identifiers(accountId: accountId).filter { $0.verifiedAt != nil }.map(\.identifier)
        guard let target = verified.first(where: { $0.channel == .email }) ?? verified.first(where: { $0.channel == .sms })
        else { return nil }
        return accepted.channel == target.channel ? nil : target
    }

    /// Sends the "Was this you?" code for `flow` to `identifier`, inside the caller's transaction.
    /// It follows the second factor at once, so the resend interval since that code does not apply.
    public func send(flow: Flow, to identifier: Identifier, deviceName: String?, origin: RequestOrigin,
                     in stores: any KeywardStores) async throws {
        let now = clock.now()
        var link: String?
        if let accountId = flow.accountId { link = try await queue.freezeLink(accountId: accountId, in: stores) }
        _ = try await codes.send(for: flow, purpose: Self.purpose, to: identifier, reason: .deviceApproval, origin: origin,
                                 in: stores, resendInterval: false) { code in
            let message = queue.composer.deviceApprovalMessage(code: code, at: now, origin: origin, deviceName: deviceName,
                                                                validMinutes: Int(codeLifetime / 60), to: identifier)
            return link.map { queue.composer.withFreezeLink($0, message, channel: identifier.channel) } ?? message
        }
    }

    /// Checks `entered` against the flow's approval code, counting the entry; returns the code to
    /// consume. Throws `code.invalid`, `code.exhausted` or `code.expired`.
    public func check(_ entered: String, flow: Flow, origin: RequestOrigin, in stores: any KeywardStores) async throws -> VerificationCode {
        try await codes.check(entered, flow: flow, purpose: Self.purpose, origin: origin, in: stores)
    }

    /// Marks a checked approval code used.
    public func consume(_ code: VerificationCode, in stores: any KeywardStores) async throws {
        try await codes.consume(code, in: stores)
    }
}
