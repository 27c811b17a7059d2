#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#else
import Darwin
#endif

/// An IP address or CIDR range (IPv4 or IPv6), used for the trusted-proxy list.
struct IPRange: Sendable, Equatable {
    let network: [UInt8]
    let prefixLength: Int

    /// Parses `192.0.2.1`, `10.0.0.0/8`, `::1` or `2001:db8::/32`; `nil` for anything else.
    init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1).map(String.init)
        guard let address = IPRange.bytes(of: parts[0]) else { return nil }
        let maximum = address.count * 8
        if parts.count == 2 {
            guard let length = Int(parts[1]), (0...maximum).contains(length) else { return nil }
            prefixLength = length
        } else {
            prefixLength = maximum
        }
        network = address
    }

    /// Whether `address` (text) lies in the range.
    func contains(_ address: String) -> Bool {
        guard let candidate = IPRange.bytes(of: address), candidate.count == network.count else { return false }
        var remaining = prefixLength
        for index in 0..<network.count where remaining > 0 {
            let bits = min(8, remaining)
            let mask: UInt8 = bits == 8 ? 0xFF : ~(0xFF >> UInt8(bits))
            if candidate[index] & mask != network[index] & mask { return false }
            remaining -= bits
        }
        return true
    }

    /// Loopback, private (RFC 1918, RFC 4193) and link-local ranges.
    static let internalRanges: [IPRange] = ["127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",
                                            "169.254.0.0/16", "::1/128", "fc00::/7", "fe80::/10"].compactMap(IPRange.init)

    /// Whether `address` is loopback, private or link-local (an IPv4-mapped IPv6 address is judged
    /// as IPv4).
    static func isInternal(_ address: String) -> Bool {
        let mapped = address.lowercased().hasPrefix("::ffff:") ? String(address.dropFirst(7)) : address
        return internalRanges.contains { $0.contains(mapped) }
    }

    /// The network `address` belongs to, as the CIDR prefix sign-in places are recognised by:
    /// `/24` for IPv4 (an IPv4-mapped IPv6 address counts as IPv4) and `/48` for IPv6, the
    /// blocks providers hand to one site. `nil` for text that is not an address.
    static func networkPrefix(of address: String) -> String? {
        guard var bytes = bytes(of: address) else { return nil }
        if bytes.count == 16, bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xFF, bytes[11] == 0xFF {
            bytes = Array(bytes[12..<16])
        }
        let keep = bytes.count == 4 ? 3 : 6
        for index in keep..<bytes.count { bytes[index] = 0 }
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let family = bytes.count == 4 ? AF_INET : AF_INET6
        let written = bytes.withUnsafeBytes { raw in
            inet_ntop(family, raw.baseAddress, &text, socklen_t(text.count))
        }
        guard written != nil else { return nil }
        let printed = text.withUnsafeBufferPointer { buffer in
            String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        return "\(printed)/\(bytes.count == 4 ? 24 : 48)"
    }

    /// The 4 or 16 bytes of a textual address.
    static func bytes(of text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { Array($0) }
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            return withUnsafeBytes(of: &v6) { Array($0) }
        }
        return nil
    }
}
