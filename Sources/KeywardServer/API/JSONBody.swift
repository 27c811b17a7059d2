import Foundation
import Hummingbird
import KeywardCore
import NIOCore

extension Request {
    /// Decodes the JSON body as `type`, turning every failure into a coded error: a body not sent as
    /// `application/json` (or a `+json` type) is `request.unsupported_media_type`, so that no
    /// other site's page can make a browser post to the API as a plain form; a body over the limit
    /// is `request.too_large`; broken JSON, or an object naming a key twice, `request.malformed`;
    /// a missing or mistyped field `request.invalid_field` naming it. A request with no body and no
    /// `Content-Type` reads as `{}`.
    func decodeJSON<T: Decodable>(_ type: T.Type, limit: Int) async throws -> T {
        let declared = headers[.contentType]
        if let declared, !Self.isJSON(mediaType: declared) { throw KeywardError.requestUnsupportedMediaType }
        let buffer: ByteBuffer
        do {
            buffer = try await body.collect(upTo: limit)
        } catch {
            throw KeywardError.requestTooLarge(limit: limit)
        }
        let data = Data(buffer.readableBytesView)
        if declared == nil && !data.isEmpty { throw KeywardError.requestUnsupportedMediaType }
        if JSONDuplicateKeys.found(in: buffer.readableBytesView) { throw KeywardError.requestMalformed }
        do {
            return try JSONDecoder().decode(T.self, from: data.isEmpty ? Data("{}".utf8) : data)
        } catch DecodingError.keyNotFound(let key, let context) {
            throw KeywardError.requestInvalidField(Self.fieldPath(context.codingPath + [key]))
        } catch DecodingError.typeMismatch(_, let context) where !context.codingPath.isEmpty {
            throw KeywardError.requestInvalidField(Self.fieldPath(context.codingPath))
        } catch DecodingError.valueNotFound(_, let context) where !context.codingPath.isEmpty {
            throw KeywardError.requestInvalidField(Self.fieldPath(context.codingPath))
        } catch {
            throw KeywardError.requestMalformed
        }
    }
}

extension Request {
    /// A decoding path as the field a client sent: object keys joined by dots, list positions in
    /// brackets (`unavailable[0]`, `items[2].name`).
    static func fieldPath(_ path: [any CodingKey]) -> String {
        path.reduce(into: "") { field, key in
            if let index = key.intValue {
                field += "[\(index)]"
            } else {
                field += field.isEmpty ? key.stringValue : "." + key.stringValue
            }
        }
    }

    /// Whether a `Content-Type` value names JSON: `application/json` or `application/…+json`,
    /// with any parameters.
    static func isJSON(mediaType value: String) -> Bool {
        let type = value.split(separator: ";", maxSplits: 1).first.map {
            $0.trimmingCharacters(in: .whitespaces).lowercased()
        } ?? ""
        return type == "application/json" || (type.hasPrefix("application/") && type.hasSuffix("+json"))
    }
}

/// Encodes every JSON response: sorted keys, dates as ISO 8601 in UTC. Made once; encoding
/// with it is safe from any thread.
private let responseEncoder: JSONEncoder = {
    let encoder = JSONEncoder()
    encoder.outputFormatting = .sortedKeys
    encoder.dateEncodingStrategy = .custom { date, encoder in
        var container = encoder.singleValueContainer()
        try container.encode(ISO8601.string(date))
    }
    return encoder
}()

/// A JSON response with the given status.
func jsonResponse<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> Response {
    let data = try responseEncoder.encode(value)
    return Response(status: status, headers: [.contentType: "application/json"],
                    body: .init(byteBuffer: ByteBuffer(bytes: data)))
}

/// A handler's typed answer: its body and status, encoded as every JSON answer is.
struct JSONAnswer<Body: Encodable>: ResponseGenerator {
    /// What the answer says.
    let body: Body
    /// The status it is answered with.
    let status: HTTPResponse.Status

    /// `body` answered with `status` (200 by default).
    init(_ body: Body, status: HTTPResponse.Status = .ok) {
        self.body = body
        self.status = status
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        try jsonResponse(body, status: status)
    }
}

/// `{resendAvailableAt}`: when another code may be asked for.
struct CodeSentJSON: Encodable {
    let resendAvailableAt: Date
}
