import Foundation
import KeywardCrypto
import Testing

/// Compares this Argon2id with libargon2 through Python's argon2-cffi on random inputs: raw
/// tags, PHC strings, and verification in both directions.
///
/// Requires `python3` with `argon2-cffi` (CI installs it; `pip install argon2-cffi`). When either
/// is missing the test fails, it does not skip. `KEYWARD_PYTHON` names another interpreter;
/// `KEYWARD_CROSSCHECK_SEED` replays a failing run (the seed is in every failure message).
@Suite struct Argon2idCrossCheckTests {
    /// Small costs around every branch: one to four lanes, memory not a multiple of 4 × lanes,
    /// the 8 KiB minimum, tags shorter and longer than 64 bytes.
    static let parameterSets: [Argon2id.Parameters] = [
        .init(memoryKiB: 64, iterations: 1, parallelism: 1, tagLength: 32),
        .init(memoryKiB: 128, iterations: 3, parallelism: 1, tagLength: 32),
        .init(memoryKiB: 256, iterations: 2, parallelism: 2, tagLength: 16),
        .init(memoryKiB: 512, iterations: 1, parallelism: 4, tagLength: 32),
        .init(memoryKiB: 1024, iterations: 2, parallelism: 1, tagLength: 64),
        .init(memoryKiB: 72, iterations: 3, parallelism: 2, tagLength: 32),
        .init(memoryKiB: 1000, iterations: 1, parallelism: 4, tagLength: 65),
        .init(memoryKiB: 96, iterations: 2, parallelism: 3, tagLength: 100),
        .init(memoryKiB: 8, iterations: 1, parallelism: 1, tagLength: 4),
        .init(memoryKiB: 1024, iterations: 3, parallelism: 4, tagLength: 32),
    ]

    static let caseCount = 20

    /// Reads `password salt t m p tagLength ourEncoded` lines (hex bytes) from stdin and prints
    /// `rawTag theirEncoded acceptedOurs rejectedOursWithWrongPassword` for each.
    static let pythonScript = """
        import sys
        try:
            from argon2 import PasswordHasher, exceptions
            from argon2.low_level import Type, hash_secret, hash_secret_raw
        except ImportError as error:
            sys.stderr.write("argon2-cffi is not importable (pip install argon2-cffi): %s\\n" % error)
            sys.exit(3)
        hasher = PasswordHasher()
        def accepts(encoded, password):
            try:
                return hasher.verify(encoded, password)
            except (exceptions.VerificationError, exceptions.InvalidHashError):
                return False
        for line in sys.stdin.read().splitlines():
            password_hex, salt_hex, t, m, p, length, ours = line.split(" ")
            password, salt = bytes.fromhex(password_hex), bytes.fromhex(salt_hex)
            t, m, p, length = int(t), int(m), int(p), int(length)
            raw = hash_secret_raw(password, salt, t, m, p, length, Type.ID).hex()
            theirs = hash_secret(password, salt, t, m, p, length, Type.ID).decode("ascii")
            print(raw, theirs, accepts(ours, password), not accepts(ours, password + b"x"))
        """

    struct Case {
        let password: String
        let salt: [UInt8]
        let parameters: Argon2id.Parameters
        let rawTag: [UInt8]
        let encoded: String
    }

    @Test func randomInputsHashAndVerifyExactlyLikeArgon2Cffi() throws {
        let environment = ProcessInfo.processInfo.environment
        let seed = environment["KEYWARD_CROSSCHECK_SEED"].flatMap { UInt64($0) } ?? UInt64.random(in: 0 ... .max)
        var generator = SplitMix64(seed: seed)
        let replay = "replay with KEYWARD_CROSSCHECK_SEED=\(seed)"

        var cases: [Case] = []
        for index in 0..<Self.caseCount {
            let password = Self.randomPassword(using: &generator)
            let salt = (0..<Int.random(in: 8...32, using: &generator)).map { _ in UInt8.random(in: 0 ... 255, using: &generator) }
            let parameters = Self.parameterSets[index % Self.parameterSets.count]
            cases.append(Case(
                password: password,
                salt: salt,
                parameters: parameters,
                rawTag: try Argon2id.hash(password: Array(password.utf8), salt: salt, parameters: parameters),
                encoded: try Argon2id.hashEncoded(password: password, salt: salt, parameters: parameters)
            ))
        }

        let input = cases.map { item in
            let parameters = item.parameters
            return "\(hex(item.password.utf8)) \(hex(item.salt)) \(parameters.iterations) \(parameters.memoryKiB) "
                + "\(parameters.parallelism) \(parameters.tagLength) \(item.encoded)\n"
        }.joined()
        let output = try Self.runPython(script: Self.pythonScript, input: input)
        let lines = output.split(separator: "\n")
        try #require(lines.count == cases.count, "python printed \(lines.count) lines for \(cases.count) cases; \(replay)")

        for (item, line) in zip(cases, lines) {
            let fields = line.split(separator: " ").map(String.init)
            try #require(fields.count == 4, "unexpected python output \(line)")
            let context = "password \(hex(item.password.utf8)), salt \(hex(item.salt)), \(item.parameters); \(replay)"
            #expect(fields[0] == hex(item.rawTag), "raw tag differs: \(context)")
            #expect(fields[1] == item.encoded, "PHC string differs: \(context)")
            #expect(fields[2] == "True", "argon2-cffi rejected our \(item.encoded): \(context)")
            #expect(fields[3] == "True", "argon2-cffi accepted a wrong password for \(item.encoded): \(context)")
            #expect(try Argon2id.verify(password: item.password, encoded: fields[1]), "we rejected \(fields[1]): \(context)")
            #expect(try !Argon2id.verify(password: item.password + "x", encoded: fields[1]), "wrong password accepted: \(context)")
        }
    }

    /// 0–24 characters mixing ASCII, Latin-1, CJK and emoji, so UTF-8 lengths vary.
    static func randomPassword(using generator: inout SplitMix64) -> String {
        let alphabet: [Character] = Array("abcXYZ019 !$,=\\\"'éßü€密码😀🔑") + ["e\u{301}"]
        let length = Int.random(in: 0...24, using: &generator)
        return String((0..<length).map { _ in alphabet.randomElement(using: &generator)! })
    }

    /// Runs `python3 -c script` with `input` on stdin and returns stdout, recording a clear
    /// failure (never a skip) when the interpreter or argon2-cffi is missing.
    static func runPython(script: String, input: String) throws -> String {
        let python = ProcessInfo.processInfo.environment["KEYWARD_PYTHON"] ?? "python3"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [python, "-c", script]
        let standardInput = Pipe()
        let standardOutput = Pipe()
        let standardError = Pipe()
        process.standardInput = standardInput
        process.standardOutput = standardOutput
        process.standardError = standardError
        do {
            try process.run()
        } catch {
            Issue.record("could not start \(python) through /usr/bin/env (\(error)); the Argon2id cross-check needs python3 with argon2-cffi")
            throw error
        }
        standardInput.fileHandleForWriting.write(Data(input.utf8))
        try standardInput.fileHandleForWriting.close()
        let output = standardOutput.fileHandleForReading.readDataToEndOfFile()
        let errors = standardError.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let errorText = String(decoding: errors, as: UTF8.self)
        try #require(
            process.terminationStatus == 0,
            """
            \(python) exited with status \(process.terminationStatus); the Argon2id cross-check needs python3 \
            with argon2-cffi installed (pip install argon2-cffi). stderr: \(errorText)
            """
        )
        return String(decoding: output, as: UTF8.self)
    }
}

/// A seedable generator (SplitMix64) so a failing random run can be replayed.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xbf58_476d_1ce4_e5b9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94d0_49bb_1331_11eb
        return mixed ^ (mixed >> 31)
    }
}
