public import Foundation

/// One thing that stands between a person and their account, told to them: what it is, what it
/// means, and the way out. The codes are those of support's ``SignInDiagnosis`` for the same fact.
public struct SignInHelpFinding: Sendable, Equatable {
    /// A link to the way out.
    public struct Action: Sendable, Equatable {
        /// The words of the link.
        public let label: String
        /// Where it leads: an absolute address on the platform's site.
        public let href: String
    }

    /// A stable code: `account.frozen`, `account.restricted`, `account.locked`, `device.locked`,
    /// `recovery.paused`, `account.registration_incomplete`, `delivery.failed`, `delivery.retrying`,
    /// `rate_limited.recent`, `failures.recent`, `sign_in.unfamiliar`, `authenticator.required`,
    /// `hold.active`, or `nothing_found` when nothing stands in the way.
    public let code: String
    /// A few words naming it.
    public let title: String
    /// What happened and what to do, in the person's words.
    public let detail: String
    /// The way out, when it has a page.
    public let action: Action?
    /// The moment it concerns (a lock's end, a sign-in's time), if any.
    public let at: Date?
}

/// Turns support's diagnosis into findings for the person who holds the identifier, most pressing
/// first, every sentence from the ``MessageCatalogue``.
struct SignInHelpFindings {
    let catalogue: MessageCatalogue
    let baseURL: String
    let lockout: LockoutSettings
    let now: Date

    /// The findings of `diagnosis`; `freezeLink` is the way out of a recent unfamiliar sign-in.
    /// Messages queued from `since` on (the help's own codes) say nothing about delivery before it.
    func findings(_ diagnosis: SignInDiagnosis, since: Date, freezeLink: String?) -> [SignInHelpFinding] {
        var found: [SignInHelpFinding] = []
        for restriction in diagnosis.restrictions {
            let time = Self.moment(restriction.placedAt)
            switch restriction.kind {
            case .frozen:
                found.append(finding("account.frozen", ["time": time], action: "/support?topic=account_frozen",
                                     at: restriction.placedAt))
            case .restricted:
                let why = catalogue.sentence(for: "help.restricted.\(restriction.reason.rawValue)")
                found.append(finding("account.restricted", ["time": time, "why": why],
                                     action: "/support?topic=account_restricted", at: restriction.placedAt))
            }
        }
        found += lockFindings(diagnosis.counters)
        if let account = diagnosis.account, account.status == .pending {
            found.append(finding("account.registration_incomplete", ["time": Self.moment(account.createdAt)],
                                 action: "/register", at: account.createdAt))
        }
        found += deliveryFindings(diagnosis.messages.filter { $0.delivery.queuedAt < since })
        found += eventFindings(diagnosis.events, freezeLink: freezeLink)
        if diagnosis.authenticatorBound {
            found.append(finding("authenticator.required", [:], action: "/login"))
        }
        for hold in diagnosis.holds {
            guard let until = hold.until, until > now else { continue }  // a restriction's, told above
            let change = SecurityChange(rawValue: hold.reason)?.description
                ?? catalogue.sentence(for: hold.reason == "password.reset" ? "help.change.password.reset" : "help.change.other")
            found.append(finding("hold.active", ["change": change, "time": Self.moment(hold.placedAt),
                                                 "until": Self.moment(until)], at: until))
        }
        let blocking: Set<String> = ["account.frozen", "account.restricted", "account.locked", "device.locked",
                                     "recovery.paused", "account.registration_incomplete", "delivery.failed",
                                     "delivery.retrying", "rate_limited.recent", "failures.recent"]
        if !found.contains(where: { blocking.contains($0.code) }) {
            found.append(finding("nothing_found", [:], action: "/recover"))
        }
        return found
    }

    private func lockFindings(_ counters: [FailureCounter]) -> [SignInHelpFinding] {
        var locks: [SignInHelpFinding] = [], failures: [SignInHelpFinding] = []
        for counter in counters {
            if let until = counter.lockedUntil, until > now {
                let code = switch counter.scope.kind {
                case .account: "account.locked"
                case .device: "device.locked"
                case .recovery: "recovery.paused"
                }
                locks.append(finding(code, ["until": Self.moment(until)], action: "/recover", at: until))
            } else if counter.scope.kind != .recovery, counter.failedCount > 0, let since = counter.firstFailedAt,
                      since > now.addingTimeInterval(-lockout.window) {
                failures.append(finding("failures.recent",
                                        ["count": String(counter.failedCount), "s": counter.failedCount == 1 ? "" : "s",
                                         "time": Self.moment(since), "max": String(lockout.maxFailures)],
                                        action: "/recover", at: since))
            }
        }
        return locks + failures
    }

    /// The newest message to each destination, when it was given up or is being retried. A message
    /// keeps only the masked destination once sent or given up, so destinations compare masked.
    private func deliveryFindings(_ messages: [OutboxRecord]) -> [SignInHelpFinding] {
        var seen = Set<String>()
        var found: [SignInHelpFinding] = []
        for message in messages {
            let destination = Identifier(kind: message.channel == .email ? .email : .phone, value: message.destination).masked
            guard seen.insert(destination).inserted else { continue }
            let code: String
            switch message.delivery.state {
            case .failed: code = "delivery.failed"
            case .retrying: code = "delivery.retrying"
            case .queued, .sent: continue
            }
            let said = message.delivery.lastError.map { " (\(String($0.prefix(160))))" } ?? ""
            found.append(finding(code, ["destination": destination, "subject": message.subject,
                                        "time": Self.moment(message.delivery.queuedAt), "said": said,
                                        "check": catalogue.sentence(for: "help.delivery.check.\(message.channel.rawValue)")],
                                 action: "/support", at: message.delivery.queuedAt))
        }
        return found
    }

    private func eventFindings(_ events: [AuditEvent], freezeLink: String?) -> [SignInHelpFinding] {
        var found: [SignInHelpFinding] = []
        if let limited = events.first(where: { $0.kind == .rateLimited }),
           let seconds = limited.details["retryAfter"].flatMap(Int.init),
           case let until = limited.at.addingTimeInterval(TimeInterval(seconds)), until > now {
            found.append(finding("rate_limited.recent", ["time": Self.moment(limited.at), "until": Self.moment(until)],
                                 action: "/login", at: until))
        }
        if let unfamiliar = SignInDiagnosis.recentUnfamiliarSignIn(events, now: now) {
            let place = catalogue.sentence(for: unfamiliar.details["unfamiliar"] == "location" ? "help.place.country"
                                                                                              : "help.place.network")
            found.append(SignInHelpFinding(
                code: "sign_in.unfamiliar", title: catalogue.title(for: "help.sign_in.unfamiliar"),
                detail: catalogue.sentence(for: "help.sign_in.unfamiliar",
                                           parameters: ["time": Self.moment(unfamiliar.at), "place": place,
                                                        "ip": unfamiliar.ip ?? "?"]),
                action: freezeLink.map { .init(label: catalogue.action(for: "help.sign_in.unfamiliar") ?? "", href: $0) },
                at: unfamiliar.at))
        }
        return found
    }

    private func finding(_ code: String, _ parameters: [String: String], action path: String? = nil,
                         at: Date? = nil) -> SignInHelpFinding {
        let key = "help.\(code)"
        let action = path.flatMap { path in catalogue.action(for: key).map { SignInHelpFinding.Action(label: $0, href: baseURL + path) } }
        return SignInHelpFinding(code: code, title: catalogue.title(for: key),
                                 detail: catalogue.sentence(for: key, parameters: parameters), action: action, at: at)
    }

    /// `date` as people read it in a message: `2026-12-05 14:03 UTC`.
    static func moment(_ date: Date) -> String {
        let text = ISO8601.string(date)  // 2026-12-05T14:03:22Z
        return text.prefix(10) + " " + text.dropFirst(11).prefix(5) + " UTC"
    }
}
