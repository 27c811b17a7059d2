/// The end of every sign-in, whatever proved it: judge how familiar the place is, let the caller
/// use the proof up, remember the place, audit the success, warn the owner of an unfamiliar
/// sign-in on every channel, and issue the session. Password-and-second-factor sign-ins and
/// passkey sign-ins both finish here, so neither can skip the alerts.
struct SignInCompletion: Sendable {
    let sessions: SessionService
    let recognition: SignInRecognition
    let clock: any KeywardClock

    /// Finishes a sign-in to `accountId` by the flow `flowId` with `method`, inside the transaction
    /// `stores`. `useProof` runs after the place is judged and before it is remembered: it uses the
    /// proof up, moves the flow on and remembers the device. `warn` false skips the notice of an
    /// unfamiliar sign-in, for one the owner approved from their own inbox.
    func finish(accountId: String, flowId: String, method: SecondFactorMethod, deviceHash: String?, deviceName: String?,
                origin: RequestOrigin, warn: Bool = true, in stores: any KeywardStores,
                useProof: () async throws -> Void) async throws -> SignInSucceeded {
        // Checked before the proof was taken too; here for a restriction placed meanwhile.
        try await stores.restrictions.ensureCanSignIn(accountId: accountId)
        let novelty = try await recognition.assess(accountId: accountId, deviceHash: deviceHash, origin: origin, in: stores)
        try await useProof()
        try await recognition.remember(accountId: accountId, origin: origin, in: stores)
        var details = ["flowId": flowId, "method": method.rawValue]
        details["unfamiliar"] = novelty.reason
        details["country"] = origin.country
        if !warn { details["deviceApproved"] = "true" }
        try await stores.audit.record(AuditEvent(
            kind: .loginSucceeded, outcome: .success, accountId: accountId, origin: origin, at: clock.now(), details: details))
        if warn {
            try await recognition.warnIfUnfamiliar(novelty, accountId: accountId, origin: origin, deviceName: deviceName, in: stores)
        }
        let issued = try await sessions.issue(accountId: accountId, deviceName: deviceName, origin: origin,
                                              reauthenticated: true, in: stores)
        return SignInSucceeded(accountId: accountId, session: issued)
    }
}
