public import Foundation

/// Rules for one-time codes.
public struct CodeSettings: Sendable, Equatable {
    /// Digits in a code (default 6).
    public var digits: Int
    /// How long a code works (default 10 minutes).
    public var lifetime: TimeInterval
    /// Wrong entries before a code dies (default 5).
    public var maxAttempts: Int
    /// Least time between two codes to the same destination (default 60 s).
    public var resendInterval: TimeInterval

    /// Settings with explicit values.
    public init(digits: Int = 6, lifetime: TimeInterval = 600, maxAttempts: Int = 5, resendInterval: TimeInterval = 60) {
        self.digits = digits
        self.lifetime = lifetime
        self.maxAttempts = maxAttempts
        self.resendInterval = resendInterval
    }
}
