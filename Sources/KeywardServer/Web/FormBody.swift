import Foundation
import Hummingbird
import KeywardCore

extension Request {
    /// The `application/x-www-form-urlencoded` body as a dictionary (the last value of a repeated
    /// field wins); `request.too_large` over the limit.
    func formFields(limit: Int) async throws -> [String: String] {
        let buffer: ByteBuffer
        do {
            buffer = try await body.collect(upTo: limit)
        } catch {
            throw KeywardError.requestTooLarge(limit: limit)
        }
        var fields: [String: String] = [:]
        for pair in String(buffer: buffer).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ text: Substring) -> String {
                String(text).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            }
            guard let name = parts.first else { continue }
            fields[decode(name)] = parts.count > 1 ? decode(parts[1]) : ""
        }
        return fields
    }
}
