import Foundation
import Hummingbird
import KeywardCore
import NIOCore

/// Health, readiness, the OpenAPI document, static assets and the development mailbox.
struct SystemController {
    let database: any KeywardDatabase
    let developmentMailbox: Bool
    let pages: PageRenderer
    let assets: [String: (contentType: String, body: ByteBuffer)]
    let openAPI: ByteBuffer

    func addRoutes(to router: Router<KeywardRequestContext>) {
        router.get("healthz") { _, _ in
            JSONAnswer(["status": "ok"])
        }
        router.get("readyz") { _, _ in
            if await database.isReady() {
                return JSONAnswer(["status": "ready"])
            }
            return JSONAnswer(["status": "not_ready"], status: .serviceUnavailable)
        }
        router.get("api/openapi.yaml") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/yaml", .cacheControl: "no-cache"],
                     body: .init(byteBuffer: openAPI))
        }
        router.get("static/{file}") { _, context in
            let name = try context.parameters.require("file")
            guard let asset = assets[name] else { throw KeywardError.routeNotFound }
            return Response(status: .ok, headers: [.contentType: asset.contentType, .cacheControl: "public, max-age=300"],
                            body: .init(byteBuffer: asset.body))
        }
        guard developmentMailbox else { return }
        router.get("dev/mailbox.json") { _, _ in
            JSONAnswer(try await database.stores.mailbox.list(limit: 200))
        }
        router.get("dev/mailbox") { _, context in
            let entries = try await database.stores.mailbox.list(limit: 200)
            return pages.page("mailbox", title: "Development mailbox", values: [
                "messages": entries.map { entry -> [String: Any] in
                    ["to": entry.to, "channel": entry.channel.rawValue, "subject": entry.subject,
                     "body": entry.body, "code": entry.code ?? "", "hasCode": entry.code != nil,
                     "sentAt": ISO8601.string(entry.sentAt)]
                },
                "empty": entries.isEmpty,
            ], signedIn: context.session != nil)
        }
    }

    static func loadResources() throws -> (assets: [String: (contentType: String, body: ByteBuffer)], openAPI: ByteBuffer) {
        guard case let base = Bundle.module.bundleURL.appendingPathComponent("Resources"), FileManager.default.fileExists(atPath: base.path) else {
            throw StartupError("the resources are missing from the KeywardServer bundle")
        }
        var assets: [String: (contentType: String, body: ByteBuffer)] = [:]
        let types = ["css": "text/css; charset=utf-8", "js": "text/javascript; charset=utf-8", "svg": "image/svg+xml"]
        let staticDirectory = base.appendingPathComponent("Static")
        for name in try FileManager.default.contentsOfDirectory(atPath: staticDirectory.path) {
            let url = staticDirectory.appendingPathComponent(name)
            guard let type = types[url.pathExtension] else { continue }
            assets[name] = (type, ByteBuffer(bytes: try Data(contentsOf: url)))
        }
        let openAPI = ByteBuffer(bytes: try Data(contentsOf: base.appendingPathComponent("openapi.yaml")))
        return (assets, openAPI)
    }
}
