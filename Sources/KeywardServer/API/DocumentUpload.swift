import Foundation
import Hummingbird
import KeywardCore
import MultipartKit
import NIOCore

/// An identity document read from a `multipart/form-data` upload with a `type` part and a `file`
/// part, as the body streams in: the file is refused with `document.too_large` as soon as it grows
/// past the limit, before the rest of the body is read, so no upload is ever held whole beyond it.
/// A page's upload also carries small text parts (its CSRF token), collected when named.
struct DocumentUpload {
    /// The most bytes a named text part may hold.
    static let fieldLimit = 256

    /// What the document shows, as the person said.
    let kind: String
    /// The file's bytes.
    let content: [UInt8]
    /// The text parts asked for by name that the upload carried.
    let fields: [String: String]

    /// Reads the upload; throws `document.upload_invalid` for anything but one well-formed
    /// `type` and `file` (and at most one of each part named in `fields`, of at most
    /// ``fieldLimit`` bytes), and `document.too_large` past `limit` bytes of file. Parts neither
    /// `type`, `file` nor named in `fields` are skipped unread.
    static func read(_ request: Request, limit: Int, fields names: Set<String> = []) async throws -> DocumentUpload {
        guard let contentType = request.headers[.contentType], let boundary = boundary(of: contentType) else {
            throw KeywardError.documentUploadInvalid
        }
        // A declared length past any acceptable upload is refused before a byte is read.
        let slack = 64 * 1024
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit + slack {
            throw KeywardError.documentTooLarge(limit: limit)
        }
        let reader = PartReader(limit: limit, fieldNames: names)
        let parser = MultipartParser(boundary: boundary)
        parser.onHeader = { name, value in reader.header(name: name, value: value) }
        parser.onBody = { buffer in reader.body(buffer) }
        parser.onPartComplete = { reader.partComplete() }
        var received = 0
        for try await chunk in request.body {
            received += chunk.readableBytes
            if received > limit + slack { throw KeywardError.documentTooLarge(limit: limit) }
            do { try parser.execute(chunk) } catch { throw KeywardError.documentUploadInvalid }
            if reader.tooLarge { throw KeywardError.documentTooLarge(limit: limit) }
            if reader.malformed { throw KeywardError.documentUploadInvalid }
        }
        guard reader.completeParts > 0, let kind = reader.kind, let content = reader.file else {
            throw KeywardError.documentUploadInvalid
        }
        return DocumentUpload(kind: kind, content: content, fields: reader.fields)
    }

    /// The boundary of a `multipart/form-data` content type, 1 to 70 characters as RFC 2046 allows.
    static func boundary(of contentType: String) -> String? {
        let parts = contentType.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.first?.lowercased() == "multipart/form-data" else { return nil }
        for part in parts.dropFirst() {
            let pair = part.split(separator: "=", maxSplits: 1)
            guard pair.count == 2, pair[0].lowercased() == "boundary" else { continue }
            var value = String(pair[1])
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
            return (1...70).contains(value.utf8.count) ? value : nil
        }
        return nil
    }

    /// Collects the parts the parser hands over, one at a time.
    private final class PartReader {
        let limit: Int
        let fieldNames: Set<String>
        var name: String?
        var buffer: [UInt8] = []
        var kind: String?
        var file: [UInt8]?
        var fields: [String: String] = [:]
        var tooLarge = false
        var malformed = false
        var completeParts = 0

        init(limit: Int, fieldNames: Set<String>) {
            self.limit = limit
            self.fieldNames = fieldNames
        }

        func header(name header: String, value: String) {
            guard header.lowercased() == "content-disposition" else { return }
            for parameter in value.split(separator: ";").map({ $0.trimmingCharacters(in: .whitespaces) })
            where parameter.lowercased().hasPrefix("name=") {
                name = String(parameter.dropFirst(5)).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            }
        }

        func body(_ chunk: ByteBuffer) {
            switch name {
            case "file":
                if buffer.count + chunk.readableBytes > limit { tooLarge = true; return }
            case "type":
                if buffer.count + chunk.readableBytes > 64 { malformed = true; return }
            case let field? where fieldNames.contains(field):
                if buffer.count + chunk.readableBytes > DocumentUpload.fieldLimit { malformed = true; return }
            default:
                return  // other fields are ignored
            }
            buffer.append(contentsOf: chunk.readableBytesView)
        }

        func partComplete() {
            switch name {
            case "file":
                if file != nil { malformed = true }
                file = buffer
            case "type":
                if kind != nil { malformed = true }
                kind = String(decoding: buffer, as: UTF8.self)
            case let field? where fieldNames.contains(field):
                if fields[field] != nil { malformed = true }
                fields[field] = String(decoding: buffer, as: UTF8.self)
            default:
                break
            }
            completeParts += 1
            name = nil
            buffer = []
        }
    }
}
