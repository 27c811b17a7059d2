import Foundation
import KeywardCore
import Logging
import ServiceLifecycle

/// Deletes rate-limit windows that have ended, expired freeze links, sign-in attempts older than
/// risk control's longest window, risk evaluations older than ``riskRetention``, and flows that expired more than
/// ``flowRetention`` ago (support's diagnosis and the audit trail keep what matters longer), and
/// erases the identity documents of cases closed more than ``documentRetention`` ago, once a minute, on every node (the deletes are idempotent). Stops at graceful shutdown.
struct CleanupService: Service {
    let database: any KeywardDatabase
    let clock: any KeywardClock
    let logger: Logger
    var interval: Duration = .seconds(60)
    /// How long an expired flow is kept (30 days).
    var flowRetention: TimeInterval = 30 * 86400
    /// How long a closed case's documents are kept (`support.documentRetentionDays`).
    var documentRetention: TimeInterval = 90 * 86400
    /// How long sign-in attempts are kept: risk control's longest window.
    var attemptRetention: TimeInterval = 3600
    /// How long risk evaluations are kept for support's diagnosis (90 days).
    var riskRetention: TimeInterval = 90 * 86400

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    let removed = try await database.stores.rateLimits.deleteExpired(now: clock.now())
                    if removed > 0 { logger.debug("expired rate-limit windows removed", metadata: ["count": "\(removed)"]) }
                    let flows = try await database.stores.flows.deleteExpired(before: clock.now().addingTimeInterval(-flowRetention))
                    if flows > 0 { logger.debug("expired flows removed", metadata: ["count": "\(flows)"]) }
                    let links = try await database.stores.freezeLinks.deleteExpired(now: clock.now())
                    if links > 0 { logger.debug("expired freeze links removed", metadata: ["count": "\(links)"]) }
                    let risk = try await database.stores.risk.prune(
                        attemptsBefore: clock.now().addingTimeInterval(-attemptRetention),
                        evaluationsBefore: clock.now().addingTimeInterval(-riskRetention))
                    if risk > 0 { logger.debug("old sign-in attempts and risk evaluations removed", metadata: ["count": "\(risk)"]) }
                    let documents = try await database.stores.cases.eraseDocuments(
                        closedBefore: clock.now().addingTimeInterval(-documentRetention), at: clock.now())
                    if documents > 0 { logger.info("documents of closed cases erased", metadata: ["count": "\(documents)"]) }
                } catch {
                    logger.warning("cleanup failed", metadata: ["error": .string(String(describing: error))])
                }
                try? await Task.sleep(for: interval)
            }
        }
    }
}
