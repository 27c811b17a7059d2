// Times KeywardCrypto's Argon2id at the production parameters (m=19456 KiB, t=2, p=1, 32-byte
// tag) and prints `swift_ms_per_hash=<milliseconds>`. Usage: Argon2Bench [hashes] (default 20).
// Run through Benchmarks/argon2-compare.sh, which builds it in release and compares it with
// argon2-cffi. It first checks the RFC 9106 section 5.3 vector, so a miscompiled release build
// fails loudly instead of timing wrong code.

import Foundation
import KeywardCrypto

func hexadecimal(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef".utf8)
    return String(decoding: bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0x0f)]] }, as: UTF8.self)
}

let rfc9106Tag = try Argon2id.hash(
    password: [UInt8](repeating: 0x01, count: 32),
    salt: [UInt8](repeating: 0x02, count: 16),
    parameters: Argon2id.Parameters(memoryKiB: 32, iterations: 3, parallelism: 4, tagLength: 32),
    secret: [UInt8](repeating: 0x03, count: 8),
    associatedData: [UInt8](repeating: 0x04, count: 12)
)
guard hexadecimal(rfc9106Tag) == "0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659" else {
    print("error: RFC 9106 section 5.3 vector mismatch: \(hexadecimal(rfc9106Tag))")
    exit(1)
}

let hashCount = CommandLine.arguments.dropFirst().first.flatMap { Int($0) } ?? 20
let parameters = Argon2id.Parameters.owasp
let salt = Array("keyward-benchmark-salt".utf8.prefix(16))
var checksum: UInt8 = 0

// One warm-up hash, untimed, so page faults of the first 19 MiB allocation are not counted.
checksum ^= try Argon2id.hash(password: Array("warm-up".utf8), salt: salt, parameters: parameters)[0]

let clock = ContinuousClock()
let elapsed = try clock.measure {
    for index in 0..<hashCount {
        checksum ^= try Argon2id.hash(password: Array("password-\(index)".utf8), salt: salt, parameters: parameters)[0]
    }
}
let milliseconds = (Double(elapsed.components.seconds) * 1e3 + Double(elapsed.components.attoseconds) * 1e-15)
    / Double(hashCount)
print("swift_ms_per_hash=\((milliseconds * 100).rounded() / 100) hashes=\(hashCount) checksum=\(checksum)")
