import Foundation
import KeywardCore
import Logging
import ServiceLifecycle

/// Delivers queued messages: leases due messages and sends up to `maxInFlight` of them at once,
/// so that one slow mail server or gateway holds up only its own messages, never the sign-in code
/// queued behind them. Failures are retried with exponential backoff (up to `maxAttempts`); a
/// permanent ``DeliveryFailure`` is given up on at once. Several nodes may run it against one
/// database; the lease, longer than any send may take, keeps them from sending a message twice,
/// and a node never re-leases a message it is still sending. At graceful shutdown it stops
/// leasing and gives the messages in flight `shutdownGrace` to finish.
struct OutboxWorker: Service {
    let database: any KeywardDatabase
    let sender: any MessageSender
    /// Opens the sealed text of each message just before it is sent.
    let sealing: OutboxSealing
    let clock: any KeywardClock
    let logger: Logger
    var pollInterval: Duration = .milliseconds(200)
    var maxInFlight = 16
    var maxAttempts = 8
    /// How long a leased message is left to its node; more than the longest a send may take.
    var lease: TimeInterval = 120
    /// How long messages in flight may take to finish at graceful shutdown.
    var shutdownGrace: Duration = .seconds(5)

    func run() async throws {
        await withTaskGroup(of: String?.self) { group in
            var inFlight = Set<String>()
            var ticking = false
            var unreachable = false
            while !Task.isCancelled && !Task.isShuttingDownGracefully {
                var claimed = 0
                if inFlight.count < maxInFlight {
                    var due: [QueuedMessage] = []
                    do {
                        due = try await claim(limit: maxInFlight - inFlight.count, excluding: inFlight)
                        if unreachable { logger.notice("the outbox can be read again") }
                        unreachable = false
                    } catch {
                        // Said once per outage, not at every poll.
                        if !unreachable {
                            logger.warning("the outbox cannot be read; retrying", metadata: ["error": .string(String(reflecting: error))])
                        }
                        unreachable = true
                    }
                    for message in due {
                        inFlight.insert(message.id)
                        group.addTask {
                            await deliver(message)
                            return message.id
                        }
                    }
                    claimed = due.count
                }
                // A full lease may mean more are due; otherwise wait for a send to end or a tick.
                if claimed > 0 && inFlight.count < maxInFlight { continue }
                if !ticking {
                    ticking = true
                    group.addTask {
                        try? await Task.sleep(for: pollInterval)
                        return nil
                    }
                }
                switch await group.next() {
                case .some(.some(let finished)): inFlight.remove(finished)
                case .some(.none): ticking = false
                case .none: break
                }
            }
            // Messages in flight get a few seconds to finish; any still going then are cancelled,
            // recorded as failed and tried again later (by this node after a restart, or another).
            let deadline = ContinuousClock.now + shutdownGrace
            group.addTask {
                try? await Task.sleep(until: deadline)
                return nil
            }
            while !inFlight.isEmpty, let next = await group.next() {
                if let finished = next {
                    inFlight.remove(finished)
                } else if ContinuousClock.now >= deadline {
                    group.cancelAll()
                }
            }
            group.cancelAll()
        }
    }

    /// Leases up to `limit` due messages, leaving out those this node is still sending.
    private func claim(limit: Int, excluding inFlight: Set<String>) async throws -> [QueuedMessage] {
        let now = clock.now()
        return try await database.stores.outbox.claimDue(now: now, leaseUntil: now.addingTimeInterval(lease),
                                                         limit: limit, excluding: inFlight)
    }

    /// Opens and sends one leased message and records the outcome. A text that cannot be opened
    /// (the sealing key was changed) is given up at once: no retry can open it.
    private func deliver(_ message: QueuedMessage) async {
        do {
            let clear: OutboxMessage
            do {
                clear = try sealing.open(message)
            } catch {
                throw DeliveryFailure("the message text could not be opened (\(error)); was the sealing key changed?",
                                      permanent: true)
            }
            try await sender.send(clear)
        } catch {
            let permanent = (error as? DeliveryFailure)?.isPermanent ?? false
            let retryAt: Date? = permanent || message.attempts >= maxAttempts
                ? nil : clock.now().addingTimeInterval(min(3600, pow(2, Double(message.attempts)) * 5))
            logger.log(level: retryAt == nil ? .error : .warning, "message delivery failed", metadata: [
                "messageId": .string(message.id), "channel": .string(message.channel.rawValue),
                "attempt": .stringConvertible(message.attempts), "error": .string(String(describing: error)),
                "willRetry": .stringConvertible(retryAt != nil)])
            do {
                let outbox = database.stores.outbox
                let reason = String(describing: error), masked = message.maskedDestination
                try await Self.uncancelled {
                    try await outbox.markFailed(id: message.id, error: reason, retryAt: retryAt, maskedDestination: masked)
                }
            } catch {
                // The lease runs out and the message is tried again.
                logger.error("could not record a failed delivery", metadata: [
                    "messageId": .string(message.id), "error": .string(String(reflecting: error))])
            }
            return
        }
        do {
            let outbox = database.stores.outbox
            let sentAt = clock.now(), masked = message.maskedDestination
            try await Self.uncancelled { try await outbox.markSent(id: message.id, at: sentAt, maskedDestination: masked) }
        } catch {
            logger.error("a message was sent but could not be recorded as sent; it may be sent again when its lease ends",
                         metadata: ["messageId": .string(message.id), "error": .string(String(reflecting: error))])
        }
    }

    /// Runs `record` to the end even when the send it records was cancelled (at shutdown), so that
    /// the outcome is written instead of the message waiting out its lease.
    private static func uncancelled(_ record: @escaping @Sendable () async throws -> Void) async throws {
        try await Task { try await record() }.value
    }
}
