import Foundation
public import KeywardServer
import KeywardCrypto

extension KeywardConfig {
    /// A configuration for tests: an ephemeral port, a fresh data directory, configured keys, the
    /// development mailbox, and cheap Argon2id parameters so that suites stay fast (the production
    /// parameters are exercised by the crypto tests and the benchmark).
    public static func testing(databaseURL: String = "sqlite::memory:") -> KeywardConfig {
        var config = KeywardConfig()
        config.host = "127.0.0.1"
        config.port = 0
        config.dataDirectory = FileManager.default.temporaryDirectory
            .appendingPathComponent("keyward-test-\(UUID().uuidString)").path
        config.databaseURL = databaseURL
        // Dozens of tests hold an application open at once against one PostgreSQL server.
        config.databasePoolSize = 2
        config.hmacKey = Data(SecureRandom.bytes(32)).base64EncodedString()
        config.sealingKey = Data(SecureRandom.bytes(32)).base64EncodedString()
        config.developmentMailbox = true
        config.argon2MemoryKiB = 1024
        config.argon2Iterations = 1
        config.logLevel = "error"
        return config
    }
}
