import Foundation
import KeywardCrypto

/// A signed-in person's passkeys: registering one (behind re-authentication), listing, renaming
/// and removing them. Adding or removing one is a security change: audited, told on every
/// channel, and followed by the authenticator-change withdrawal hold.
public struct PasskeySettingsService: Sendable {
    private let database: any KeywardDatabase
    private let relyingParty: PasskeyRelyingParty
    private let reauthentication: ReauthenticationService
    private let effects: SecurityEffectsApplier
    private let clock: any KeywardClock
    private let holds: ChangeHoldSettings

    /// A service over the given parts.
    public init(database: any KeywardDatabase, relyingParty: PasskeyRelyingParty, reauthentication: ReauthenticationService,
                effects: SecurityEffectsApplier, clock: any KeywardClock, holds: ChangeHoldSettings) {
        self.database = database
        self.relyingParty = relyingParty
        self.reauthentication = reauthentication
        self.effects = effects
        self.clock = clock
        self.holds = holds
    }

    /// Opens a registration ceremony for the session's account and returns the options for
    /// `navigator.credentials.create()`. Throws `reauth.required` or `passkey.limit_reached`.
    public func creationOptions(session: Session) async throws -> PasskeyCreationOptions {
        try reauthentication.requireFresh(session)
        let stores = database.stores
        let existing = try await stores.passkeys.list(accountId: session.accountId)
        guard existing.count < relyingParty.maximumPerAccount else {
            throw KeywardError.passkeyLimitReached(relyingParty.maximumPerAccount)
        }
        let identifiers = try await stores.accounts.identifiers(accountId: session.accountId)
        let shown = identifiers.first { $0.identifier.kind == .email } ?? identifiers.first
        let flow = try await stores.flows.start(
            PasskeyRegistrationFlow.self, id: SecureRandom.uuid(), state: .waiting, accountId: session.accountId,
            identifier: nil, at: clock.now(), lifetime: relyingParty.timeout,
            context: PasskeyRegistrationFlow.Context(sessionId: session.id))
        return PasskeyCreationOptions(
            flowId: flow.id, challenge: relyingParty.challenge(flowId: flow.id), rpId: relyingParty.id,
            rpName: relyingParty.name, userId: PasskeyRelyingParty.userHandle(accountId: session.accountId),
            userName: shown?.identifier.value ?? session.accountId,
            algorithms: COSEAlgorithm.allCases.map { Int($0.rawValue) }, timeout: relyingParty.timeout,
            excludeCredentials: existing.map(PasskeyDescriptor.init), expiresAt: flow.expiresAt)
    }

    /// Registers the passkey the browser created in answer to the session's newest open ceremony
    /// (or the one named `flowId`), under `name`. Throws the ceremony's `passkey.*` errors,
    /// `passkey.already_registered`, `passkey.limit_reached`, `passkey.name_invalid`, the flow's
    /// errors or `reauth.required`.
    public func register(session: Session, credential: PasskeyCredentialJSON, name raw: String?, flowId: String?,
                         origin: RequestOrigin) async throws -> Passkey {
        try reauthentication.requireFresh(session)
        let name = try Self.validName(raw ?? "Passkey")
        let flow = try await ceremony(session: session, flowId: flowId)
        let registration = try relyingParty.verifyRegistration(credential, flowId: flow.id)
        let now = clock.now()
        let passkey = Passkey(
            id: SecureRandom.uuid(), accountId: session.accountId, credentialId: registration.credentialId,
            publicKey: registration.publicKey, algorithm: Int(registration.algorithm.rawValue),
            signCount: registration.signCount, transports: Self.transports(credential.response.transports),
            backupEligible: registration.backupEligible, backedUp: registration.backedUp, name: name,
            createdAt: now, lastUsedAt: nil)
        return try await database.transaction { stores in
            guard try await stores.passkeys.count(accountId: session.accountId) < relyingParty.maximumPerAccount else {
                throw KeywardError.passkeyLimitReached(relyingParty.maximumPerAccount)
            }
            guard try await stores.passkeys.insert(passkey) else { throw KeywardError.passkeyAlreadyRegistered }
            try await stores.flows.advance(flow, from: .waiting, to: .completed, at: now)
            _ = try await effects.apply(
                SecurityEffects(event: .passkeyAdded,
                                details: ["passkeyId": passkey.id, "algorithm": String(passkey.algorithm),
                                          "attestation": registration.attestationFormat],
                                hold: (SecurityChange.passkeyAdded.rawValue, holds.afterAuthenticatorChange),
                                notice: .change(.passkeyAdded)),
                accountId: session.accountId, origin: origin, in: stores)
            return passkey
        }
    }

    /// The account's passkeys, oldest first.
    public func list(session: Session) async throws -> [Passkey] {
        try await database.stores.passkeys.list(accountId: session.accountId)
    }

    /// Renames one of the account's passkeys. Throws `passkey.not_found` or `passkey.name_invalid`.
    public func rename(session: Session, id: String, name raw: String, origin: RequestOrigin) async throws -> Passkey {
        let name = try Self.validName(raw)
        return try await database.transaction { stores in
            guard try await stores.passkeys.rename(id: id, accountId: session.accountId, name: name),
                  let renamed = try await stores.passkeys.find(id: id, accountId: session.accountId)
            else { throw KeywardError.passkeyNotFound }
            try await stores.audit.record(AuditEvent(
                kind: .passkeyRenamed, outcome: .success, accountId: session.accountId, origin: origin, at: clock.now(),
                details: ["passkeyId": id]))
            return renamed
        }
    }

    /// Removes one of the account's passkeys. Throws `reauth.required` or `passkey.not_found`.
    public func remove(session: Session, id: String, origin: RequestOrigin) async throws {
        try reauthentication.requireFresh(session)
        try await database.transaction { stores in
            guard try await stores.passkeys.delete(id: id, accountId: session.accountId) else {
                throw KeywardError.passkeyNotFound
            }
            try await stores.flows.recordSettingsChange(.passkeyRemoved, accountId: session.accountId, at: clock.now())
            _ = try await effects.apply(
                SecurityEffects(event: .passkeyRemoved, details: ["passkeyId": id],
                                hold: (SecurityChange.passkeyRemoved.rawValue, holds.afterAuthenticatorChange),
                                notice: .change(.passkeyRemoved)),
                accountId: session.accountId, origin: origin, in: stores)
        }
    }

    private func ceremony(session: Session, flowId: String?) async throws -> LoadedFlow<PasskeyRegistrationFlow> {
        let flows = database.stores.flows
        let flow: LoadedFlow<PasskeyRegistrationFlow>
        if let flowId {
            flow = try await flows.load(flowId, as: PasskeyRegistrationFlow.self, in: .waiting, accountId: session.accountId,
                                        now: clock.now())
        } else {
            guard let newest = try await flows.newest(PasskeyRegistrationFlow.self, accountId: session.accountId, in: .waiting)
            else { throw KeywardError.flowNotFound }
            guard newest.expiresAt > clock.now() else { throw KeywardError.flowExpired }
            flow = newest
        }
        guard flow.context.sessionId == session.id else { throw KeywardError.flowNotFound }
        return flow
    }

    /// A name of 1 to 64 characters without control characters, trimmed.
    static func validName(_ raw: String) throws(KeywardError) -> String {
        let name = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...64).contains(name.count), !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
        else { throw .passkeyNameInvalid }
        return name
    }

    /// The transports a browser reported that WebAuthn names, at most 8.
    static func transports(_ reported: [String]?) -> [String] {
        let known: Set<String> = ["ble", "hybrid", "internal", "nfc", "smart-card", "usb"]
        return Array((reported ?? []).filter { known.contains($0) }.prefix(8))
    }
}
