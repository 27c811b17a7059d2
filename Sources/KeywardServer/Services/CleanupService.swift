import Foundation
import KeywardCore
import Logging
import ServiceLifecycle

/// Deletes rate-limit windows that have ended, once a minute, on every node (the deletes are
/// idempotent). Stops at graceful shutdown.
struct CleanupService: Service {
    let database: any KeywardDatabase
    let clock: any KeywardClock
    let logger: Logger
    var interval: Duration = .seconds(60)

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    let removed = try await database.stores.rateLimits.deleteExpired(now: clock.now())
                    if removed > 0 { logger.debug("expired rate-limit windows removed", metadata: ["count": "\(removed)"]) }
                } catch {
                    logger.warning("cleanup failed", metadata: ["error": .string(String(describing: error))])
                }
                try? await Task.sleep(for: interval)
            }
        }
    }
}
