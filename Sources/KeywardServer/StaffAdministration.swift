public import KeywardCore
import KeywardCrypto
import KeywardStorage
import Logging

/// Runs `body` with the staff service over the database and keys `config` names, without serving,
/// then closes the hashing threads and the database: what `keyward staff …` uses.
public func withStaffService<T: Sendable>(config: KeywardConfig,
                                          _ body: @Sendable (StaffService) async throws -> T) async throws -> T {
    try prepareDataDirectory(config.dataDirectory)
    let keys = try ServerKeys.load(config: config)
    let database = try await DatabaseConnector.open(url: config.effectiveDatabaseURL, logger: Logger(label: "keyward.staff"))
    let passwords = PasswordHasherPool(threadCount: 1, queueLimit: 4,
                                       parameters: Argon2id.Parameters(memoryKiB: config.argon2MemoryKiB,
                                                                       iterations: config.argon2Iterations,
                                                                       parallelism: config.argon2Parallelism, tagLength: 32))
    let result: Result<T, any Error>
    do {
        try await database.migrate()
        let clock = SystemClock()
        let sealer = Sealer(key: keys.sealing)
        let staff = StaffService(database: database, passwords: passwords, policy: PasswordPolicy(preset: config.passwordPolicy),
                                 authenticators: Authenticators(sealer: sealer, clock: clock, settings: config.effectiveAuthenticator),
                                 sealer: sealer, hasher: KeyedHasher(key: keys.hmac), clock: clock)
        result = .success(try await body(staff))
    } catch {
        result = .failure(error)
    }
    try? await passwords.shutdown()
    try? await database.close()
    return try result.get()
}
