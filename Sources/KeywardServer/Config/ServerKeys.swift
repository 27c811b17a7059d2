import Crypto
import Foundation
import KeywardCrypto

/// The server's secret keys: one keying the hashes of tokens and codes, one sealing secrets at rest.
struct ServerKeys: Sendable {
    /// HMAC-SHA-256 key for tokens and codes.
    let hmac: SymmetricKey
    /// AES-256-GCM key-encryption key.
    let sealing: SymmetricKey
    /// Whether either key was generated into the data directory rather than configured.
    let generated: Bool

    /// The configured keys, or keys read from (or generated once into) `dataDirectory/keys.json`
    /// with mode 0600.
    static func load(config: KeywardConfig) throws -> ServerKeys {
        if let hmac = config.hmacKey.flatMap({ Data(base64Encoded: $0) }),
           let sealing = config.sealingKey.flatMap({ Data(base64Encoded: $0) }) {
            return ServerKeys(hmac: SymmetricKey(data: hmac), sealing: SymmetricKey(data: sealing), generated: false)
        }
        let url = URL(fileURLWithPath: config.dataDirectory).appendingPathComponent("keys.json")
        let manager = FileManager.default
        var stored: [String: String]
        if manager.fileExists(atPath: url.path) {
            let data = try Data(contentsOf: url)
            guard let decoded = try? JSONDecoder().decode([String: String].self, from: data),
                  decoded["hmac"].flatMap({ Data(base64Encoded: $0) })?.count == 32,
                  decoded["sealing"].flatMap({ Data(base64Encoded: $0) })?.count == 32
            else { throw StartupError("\(url.path) is damaged: restore it from a backup (sessions and codes depend on it)") }
            stored = decoded
        } else {
            stored = ["hmac": Data(SecureRandom.bytes(32)).base64EncodedString(),
                      "sealing": Data(SecureRandom.bytes(32)).base64EncodedString()]
            let data = try JSONEncoder().encode(stored)
            guard manager.createFile(atPath: url.path, contents: data, attributes: [.posixPermissions: 0o600]) else {
                throw StartupError("could not write \(url.path): check that the data directory is writable")
            }
        }
        let hmac = config.hmacKey ?? stored["hmac"]!
        let sealing = config.sealingKey ?? stored["sealing"]!
        return ServerKeys(hmac: SymmetricKey(data: Data(base64Encoded: hmac)!),
                          sealing: SymmetricKey(data: Data(base64Encoded: sealing)!), generated: true)
    }
}

/// Why the server refuses to start, in one line saying what to change.
public struct StartupError: Error, CustomStringConvertible, Sendable {
    /// The line.
    public let description: String

    init(_ description: String) {
        self.description = description
    }
}
