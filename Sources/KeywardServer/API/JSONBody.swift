import Foundation
import Hummingbird
import KeywardCore
import NIOCore

extension Request {
    /// Decodes the JSON body as `type`, turning every failure into a coded error: a body over the
    /// limit is `request.too_large`, broken JSON `request.malformed`, a missing or mistyped field
    /// `request.invalid_field` naming it.
    func decodeJSON<T: Decodable>(_ type: T.Type, limit: Int) async throws -> T {
        let buffer: ByteBuffer
        do {
            buffer = try await body.collect(upTo: limit)
        } catch {
            throw KeywardError.requestTooLarge(limit: limit)
        }
        let data = Data(buffer.readableBytesView)
        do {
            return try JSONDecoder().decode(T.self, from: data.isEmpty ? Data("{}".utf8) : data)
        } catch DecodingError.keyNotFound(let key, let context) {
            throw KeywardError.requestInvalidField((context.codingPath + [key]).map(\.stringValue).joined(separator: "."))
        } catch DecodingError.typeMismatch(_, let context) where !context.codingPath.isEmpty {
            throw KeywardError.requestInvalidField(context.codingPath.map(\.stringValue).joined(separator: "."))
        } catch DecodingError.valueNotFound(_, let context) where !context.codingPath.isEmpty {
            throw KeywardError.requestInvalidField(context.codingPath.map(\.stringValue).joined(separator: "."))
        } catch {
            throw KeywardError.requestMalformed
        }
    }
}

/// A JSON response with the given status.
func jsonResponse<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> Response {
    let encoder = JSONEncoder()
    encoder.outputFormatting = .sortedKeys
    encoder.dateEncodingStrategy = .custom { date, encoder in
        var container = encoder.singleValueContainer()
        try container.encode(ISO8601.string(date))
    }
    let data = try encoder.encode(value)
    return Response(status: status, headers: [.contentType: "application/json"],
                    body: .init(byteBuffer: ByteBuffer(bytes: data)))
}
