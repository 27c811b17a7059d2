import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore

extension TestAPI {
    /// A `multipart/form-data` body with a `type` part and a `file` part named `filename`.
    static func documentForm(type: String, file: [UInt8], filename: String = "document.jpg",
                             declaredType: String = "image/jpeg") -> (body: ByteBuffer, contentType: String) {
        let boundary = "keyward-test-\(UUID().uuidString)"
        var body = ByteBuffer()
        body.writeString("--\(boundary)\r\nContent-Disposition: form-data; name=\"type\"\r\n\r\n\(type)\r\n")
        body.writeString("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\(filename)\"\r\n")
        body.writeString("Content-Type: \(declaredType)\r\n\r\n")
        body.writeBytes(file)
        body.writeString("\r\n--\(boundary)--\r\n")
        return (body, "multipart/form-data; boundary=\(boundary)")
    }

    /// Uploads a document to a case with its token.
    func upload(caseId: String, token: String, type: String, file: [UInt8], filename: String = "document.jpg") async throws -> Reply {
        let form = Self.documentForm(type: type, file: file, filename: filename)
        return try await client.execute(uri: "/api/v1/support/cases/\(caseId)/documents", method: .post,
                                        headers: [.contentType: form.contentType, .authorization: "Bearer \(token)"],
                                        body: form.body) { response in
            Reply(status: Int(response.status.code), headers: response.headers, text: String(buffer: response.body))
        }
    }

    /// The first bytes of a JPEG, then `marker`: enough for a file to be judged a JPEG by its bytes.
    static func jpeg(_ marker: String = "photo") -> [UInt8] {
        [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10] + Array("JFIF\0\(marker)".utf8) + [0xFF, 0xD9]
    }

    /// A PNG signature and header chunk, then `marker`.
    static func png(_ marker: String = "scan") -> [UInt8] {
        [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D] + Array("IHDR".utf8)
            + [UInt8](repeating: 1, count: 17) + Array(marker.utf8)
    }
}
