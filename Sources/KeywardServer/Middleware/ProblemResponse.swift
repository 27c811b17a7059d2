import HTTPTypes
import Foundation
import Hummingbird
import KeywardCore
import NIOCore

/// RFC 9457 problem details for a ``KeywardError``, with its stable `code` and, where it applies,
/// `retryAfter` and the list of `violations`.
enum ProblemResponse {
    static func make(_ error: KeywardError, catalogue: MessageCatalogue = .english) -> Response {
        var body: [String: ProblemValue] = [
            "type": .string("https://keyward.dev/problems/\(error.code)"),
            "title": .string(catalogue.title(for: error.code)),
            "status": .int(error.status),
            "detail": .string(catalogue.sentence(for: error)),
            "code": .string(error.code),
        ]
        for (name, value) in error.details {
            switch value {
            case .int(let number): body[name] = .int(number)
            case .string(let text): body[name] = .string(text)
            case .date(let date): body[name] = .string(ISO8601.string(date))
            }
        }
        if !error.violations.isEmpty {
            body["violations"] = .violations(error.violations)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let data = (try? encoder.encode(body)) ?? Data("{}".utf8)
        var headers: HTTPFields = [.contentType: "application/problem+json"]
        if let retryAfter = error.retryAfter {
            headers[.retryAfter] = String(retryAfter)
        }
        if error.status == 401 {
            headers[.wwwAuthenticate] = #"Bearer realm="keyward""#
        }
        return Response(status: .init(code: error.status), headers: headers,
                        body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    private enum ProblemValue: Encodable {
        case string(String)
        case int(Int)
        case violations([KeywardError.Violation])

        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .string(let value): try container.encode(value)
            case .int(let value): try container.encode(value)
            case .violations(let value): try container.encode(value)
            }
        }
    }
}

extension KeywardError {
    /// The Keyward error for whatever a handler or the framework threw.
    static func from(_ error: any Error) -> KeywardError? {
        if let error = error as? KeywardError { return error }
        if let error = error as? any HTTPResponseError {
            switch error.status.code {
            case 404: return .routeNotFound
            case 405: return KeywardError(code: "method.not_allowed", status: 405)
            case 413: return .requestTooLarge(limit: 0)
            case 400..<500: return .requestMalformed
            default: return nil
            }
        }
        return nil
    }
}
