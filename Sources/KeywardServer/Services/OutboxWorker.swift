import Foundation
import KeywardCore
import Logging
import ServiceLifecycle

/// Delivers queued messages: leases due messages, sends each, and retries failures with
/// exponential backoff (up to `maxAttempts`); a permanent ``DeliveryFailure`` is given up on at
/// once. Several nodes may run it against one database; the lease keeps them from sending a
/// message twice. Stops at graceful shutdown.
struct OutboxWorker: Service {
    let database: any KeywardDatabase
    let sender: any MessageSender
    let clock: any KeywardClock
    let logger: Logger
    var pollInterval: Duration = .milliseconds(200)
    var batchSize = 20
    var maxAttempts = 8
    var lease: TimeInterval = 60

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                let delivered = (try? await deliverDue()) ?? 0
                if delivered == 0 {
                    try? await Task.sleep(for: pollInterval)
                }
            }
        }
    }

    /// Sends every due message once; returns how many were leased.
    @discardableResult
    func deliverDue() async throws -> Int {
        let now = clock.now()
        let due = try await database.stores.outbox.claimDue(now: now, leaseUntil: now.addingTimeInterval(lease), limit: batchSize)
        for message in due {
            do {
                try await sender.send(message)
                try await database.stores.outbox.markSent(id: message.id, at: clock.now())
            } catch {
                let permanent = (error as? DeliveryFailure)?.isPermanent ?? false
                let retryAt: Date? = permanent || message.attempts >= maxAttempts
                    ? nil : clock.now().addingTimeInterval(min(3600, pow(2, Double(message.attempts)) * 5))
                logger.log(level: retryAt == nil ? .error : .warning, "message delivery failed", metadata: [
                    "messageId": .string(message.id), "channel": .string(message.channel.rawValue),
                    "attempt": .stringConvertible(message.attempts), "error": .string(String(describing: error)),
                    "willRetry": .stringConvertible(retryAt != nil)])
                try await database.stores.outbox.markFailed(id: message.id, error: String(describing: error), retryAt: retryAt)
            }
        }
        return due.count
    }
}
