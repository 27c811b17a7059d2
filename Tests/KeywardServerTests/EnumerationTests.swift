import Foundation
import HTTPTypes
import KeywardCore
import KeywardServer
import KeywardTestSupport
import Testing

/// In strict mode, an unknown account, an existing account with a wrong password and a locked
/// account must be indistinguishable: same status, headers and body, and response times drawn
/// from the same distribution.
@Suite struct EnumerationTests {
    static let samples = 500

    /// The two-sample Kolmogorov–Smirnov statistic: the largest gap between the empirical
    /// distribution functions of `a` and `b`.
    static func kolmogorovSmirnov(_ a: [Double], _ b: [Double]) -> Double {
        let x = a.sorted(), y = b.sorted()
        var i = 0, j = 0, gap = 0.0
        while i < x.count && j < y.count {
            let value = min(x[i], y[j])
            while i < x.count && x[i] <= value { i += 1 }
            while j < y.count && y[j] <= value { j += 1 }
            gap = max(gap, abs(Double(i) / Double(x.count) - Double(j) / Double(y.count)))
        }
        return gap
    }

    /// The critical value of the statistic at significance `alpha` for samples of sizes `n` and `m`.
    static func criticalValue(alpha: Double, _ n: Int, _ m: Int) -> Double {
        (-log(alpha / 2) / 2).squareRoot() * (Double(n + m) / Double(n * m)).squareRoot()
    }

    @Test func theStatisticSeparatesDifferentDistributions() {
        let a = (0..<500).map { Double($0) }
        let b = (0..<500).map { Double($0) + 100 }
        #expect(Self.kolmogorovSmirnov(a, a) == 0)
        #expect(Self.kolmogorovSmirnov(a, b) > Self.criticalValue(alpha: 0.001, 500, 500))
    }

    @Test func unknownWrongPasswordAndLockedAccountsAnswerAlike() async throws {
        var config = KeywardConfig.testing()
        for (key, value) in [
            "login.revealAccountExistence": "false", "login.strictFailureFloor": "25",
            "password.argon2.memoryKiB": "64", "lockout.maxFailures": "1000",
            "rateLimit.signInsPerIP": "100000/60", "rateLimit.signInsPerIdentifier": "100000/60",
        ] { try config.set(key, to: value) }
        let clock = TestClock()
        try await withKeyward(config, clock: clock) { api, services in
            _ = try await api.registerAndVerify("exists@example.com")
            clock.advance(by: 60)
            let (lockedId, _) = try await api.registerAndVerify("locked@example.com")
            let stores = services.database.stores
            _ = try await stores.guesses.claimGuess(.account(accountId: lockedId), now: clock.now(),
                                                         windowStart: clock.now().addingTimeInterval(-60), maxFailures: 1000)
            #expect(try await stores.guesses.placeLock(.account(accountId: lockedId), now: clock.now(),
                                                            until: clock.now().addingTimeInterval(86400)))

            let cases = [("unknown", "ghost@example.com"), ("wrong password", "exists@example.com"), ("locked", "locked@example.com")]
            var times: [[Double]] = Array(repeating: [], count: cases.count)
            var first: [Reply?] = Array(repeating: nil, count: cases.count)
            for _ in 0..<Self.samples {
                for (index, (_, identifier)) in cases.enumerated() {
                    let started = ContinuousClock.now
                    let reply = try await api.login(identifier, "Wrong-Passw0rd")
                    let elapsed = ContinuousClock.now - started
                    times[index].append(Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000)
                    if first[index] == nil { first[index] = reply }
                    #expect(reply.status == 401)
                    #expect(reply.text == first[0]?.text)
                }
            }
            let replies = first.compactMap { $0 }
            for reply in replies {
                var headers = reply.headers
                var reference = replies[0].headers
                headers[.date] = nil
                reference[.date] = nil
                #expect(headers == reference)
                #expect(reply.code == "credentials.invalid")
            }
            let critical = Self.criticalValue(alpha: 0.001, Self.samples, Self.samples)
            for (a, b) in [(0, 1), (0, 2), (1, 2)] {
                let statistic = Self.kolmogorovSmirnov(times[a], times[b])
                let medians = [times[a], times[b]].map { $0.sorted()[$0.count / 2] }
                print(String(format: "strict-mode timing, %@ vs %@: KS D = %.4f (critical %.4f at alpha 0.001), medians %.2f ms vs %.2f ms",
                             cases[a].0, cases[b].0, statistic, critical, medians[0], medians[1]))
                #expect(statistic < critical, "\(cases[a].0) and \(cases[b].0) answer in distinguishable times (D = \(statistic))")
            }
        }
    }
}
