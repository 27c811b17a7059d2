public import Foundation

/// The source of the current time for every expiry, lockout and rate-limit decision.
///
/// Production uses ``SystemClock``; tests use a settable clock so that no test sleeps.
public protocol KeywardClock: Sendable {
    /// The current instant.
    func now() -> Date
}

/// The wall clock.
public struct SystemClock: KeywardClock {
    /// A clock that reads the system time.
    public init() {}

    public func now() -> Date { Date() }
}

extension Date {
    /// Milliseconds since 1970, the form in which instants are stored.
    public var unixMilliseconds: Int64 { Int64((timeIntervalSince1970 * 1000).rounded(.down)) }

    /// The instant `milliseconds` after 1970.
    public init(unixMilliseconds milliseconds: Int64) {
        self.init(timeIntervalSince1970: Double(milliseconds) / 1000)
    }
}
