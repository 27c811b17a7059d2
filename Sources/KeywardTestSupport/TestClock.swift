public import Foundation
public import KeywardCore
import Synchronization

/// A clock that stands still until a test moves it, so expiry and rate limits are tested without sleeping.
public final class TestClock: KeywardClock {
    private let current: Mutex<Date>

    /// A clock reading `start` (default: a fixed instant in 2026).
    public init(start: Date = Date(timeIntervalSince1970: 1_790_000_000)) {
        current = Mutex(start)
    }

    public func now() -> Date { current.withLock { $0 } }

    /// Moves the clock forward by `seconds`.
    public func advance(by seconds: TimeInterval) {
        current.withLock { $0 = $0.addingTimeInterval(seconds) }
    }

    /// Sets the clock to `date`.
    public func set(_ date: Date) {
        current.withLock { $0 = date }
    }
}
