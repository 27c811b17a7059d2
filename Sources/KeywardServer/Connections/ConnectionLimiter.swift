import Synchronization

/// Counts the open connections, in all and per client address, and says whether one more may be
/// served, so that one client holding thousands of connections can neither exhaust the server's
/// memory nor crowd out everyone else.
///
/// Addresses in `exempt` (trusted proxies, which carry many people's connections) count toward the
/// total only.
final class ConnectionLimiter: Sendable {
    /// The most connections served at once.
    let maxConnections: Int
    /// The most connections one client address may hold at once.
    let maxPerClient: Int
    private let exempt: [IPRange]
    private let counts = Mutex<(total: Int, byClient: [String: Int])>((0, [:]))

    /// A limiter allowing `maxConnections` in all and `maxPerClient` per address outside `exempt`.
    init(maxConnections: Int, maxPerClient: Int, exempt: [IPRange]) {
        self.maxConnections = maxConnections
        self.maxPerClient = maxPerClient
        self.exempt = exempt
    }

    /// Counts a new connection from `address` if it may be served; `false` (and nothing counted)
    /// when the server or that client is at its limit.
    func admit(_ address: String?) -> Bool {
        let limited = address.map { address in !exempt.contains { $0.contains(address) } } ?? false
        return counts.withLock { counts in
            guard counts.total < maxConnections else { return false }
            if limited, let address {
                let held = counts.byClient[address, default: 0]
                guard held < maxPerClient else { return false }
                counts.byClient[address] = held + 1
            }
            counts.total += 1
            return true
        }
    }

    /// Forgets a connection ``admit(_:)`` counted.
    func release(_ address: String?) {
        let limited = address.map { address in !exempt.contains { $0.contains(address) } } ?? false
        counts.withLock { counts in
            counts.total -= 1
            if limited, let address, let held = counts.byClient[address] {
                counts.byClient[address] = held > 1 ? held - 1 : nil
            }
        }
    }

    /// Connections open now.
    var openConnections: Int { counts.withLock { $0.total } }
}
