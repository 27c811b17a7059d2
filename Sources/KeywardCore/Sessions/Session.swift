public import Foundation

/// A signed-in device. The bearer token itself is never stored, only its keyed hash.
public struct Session: Sendable, Equatable {
    /// A public random id, used to list and revoke the session.
    public let id: String
    /// The account signed in.
    public let accountId: String
    /// HMAC-SHA-256 of the token under the server key.
    public let tokenHash: String
    /// When the session began (the sign-in time).
    public let createdAt: Date
    /// The last request seen with the token (updated at most once a minute).
    public var lastSeenAt: Date
    /// The absolute end of the session, whatever its activity.
    public let expiresAt: Date
    /// The name the app gave the device, if any.
    public let deviceName: String?
    /// The browser or app that signed in.
    public let userAgent: String?
    /// The client address at sign-in.
    public let ip: String?
    /// When it was signed out or revoked.
    public var revokedAt: Date?
    /// When its owner last re-entered password and second factor (sign-in counts as one).
    public var reauthenticatedAt: Date?

    /// A session record.
    public init(id: String, accountId: String, tokenHash: String, createdAt: Date, lastSeenAt: Date,
                expiresAt: Date, deviceName: String?, userAgent: String?, ip: String?, revokedAt: Date?,
                reauthenticatedAt: Date? = nil) {
        self.id = id
        self.accountId = accountId
        self.tokenHash = tokenHash
        self.createdAt = createdAt
        self.lastSeenAt = lastSeenAt
        self.expiresAt = expiresAt
        self.deviceName = deviceName
        self.userAgent = userAgent
        self.ip = ip
        self.revokedAt = revokedAt
        self.reauthenticatedAt = reauthenticatedAt
    }

    /// Whether the session is usable at `now` given the idle timeout.
    public func isActive(at now: Date, idleTimeout: TimeInterval) -> Bool {
        revokedAt == nil && now < expiresAt && now < lastSeenAt.addingTimeInterval(idleTimeout)
    }

    /// When the session ends if no further request arrives.
    public func endsAt(idleTimeout: TimeInterval) -> Date {
        min(expiresAt, lastSeenAt.addingTimeInterval(idleTimeout))
    }
}

/// A session with its account's email addresses and phone numbers, as a signed-in request sees it.
public struct SignedInSession: Sendable, Equatable {
    /// The session.
    public var session: Session
    /// The account's identifiers, oldest first.
    public let identifiers: [AccountIdentifier]

    /// A session and its account's identifiers.
    public init(session: Session, identifiers: [AccountIdentifier]) {
        self.session = session
        self.identifiers = identifiers
    }
}

/// A fresh session and the token that proves it; the token is shown once and never stored.
public struct IssuedSession: Sendable {
    /// The stored record.
    public let session: Session
    /// The bearer token (256 random bits, base64url).
    public let token: String
}

/// Lifetime rules for sessions.
public struct SessionSettings: Sendable, Equatable {
    /// A session unused this long ends (default 24 hours).
    public var idleTimeout: TimeInterval
    /// A session ends this long after sign-in regardless of use (default 30 days).
    public var absoluteLifetime: TimeInterval
    /// `lastSeenAt` is written at most this often, so reads do not turn into writes (default 60 s).
    public var touchInterval: TimeInterval

    /// Settings with explicit durations.
    public init(idleTimeout: TimeInterval = 24 * 3600, absoluteLifetime: TimeInterval = 30 * 24 * 3600,
                touchInterval: TimeInterval = 60) {
        self.idleTimeout = idleTimeout
        self.absoluteLifetime = absoluteLifetime
        self.touchInterval = touchInterval
    }
}
