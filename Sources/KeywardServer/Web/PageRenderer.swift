import Foundation
import Hummingbird
import KeywardCore
import Mustache
import NIOCore

/// Renders the server's pages from the Mustache templates in `Resources/Templates`. Every value is
/// HTML-escaped by the template engine unless a template deliberately uses triple braces.
struct PageRenderer: Sendable {
    let library: MustacheLibrary
    let platformName: String
    let catalogue: MessageCatalogue = .english

    static func load(platformName: String) async throws -> PageRenderer {
        guard let directory = Optional(Bundle.module.bundleURL.appendingPathComponent("Resources/Templates").path) else {
            throw StartupError("the page templates are missing from the KeywardServer bundle")
        }
        return PageRenderer(library: try await MustacheLibrary(directory: directory), platformName: platformName)
    }

    /// The page `template` with `values`, wrapped in the layout.
    func page(_ template: String, title: String, values: [String: Any] = [:], signedIn: Bool = false,
              status: HTTPResponse.Status = .ok) -> Response {
        var object = values
        object["platformName"] = platformName
        object["pageTitle"] = title
        object["signedIn"] = signedIn
        let html = library.render(object, withTemplate: template) ?? "<!doctype html><title>\(platformName)</title><p>Page unavailable.</p>"
        return Response(status: status, headers: [.contentType: "text/html; charset=utf-8"],
                        body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    /// A page explaining `error`: what happened and what to do next.
    func errorPage(_ error: KeywardError, signedIn: Bool) -> Response {
        var response = page("message", title: catalogue.title(for: error.code), values: [
            "heading": catalogue.title(for: error.code),
            "detail": catalogue.sentence(for: error),
            "code": error.code,
        ], signedIn: signedIn, status: .init(code: error.status))
        if let retryAfter = error.retryAfter { response.headers[.retryAfter] = String(retryAfter) }
        return response
    }

    /// The values a template needs to show `error` inline.
    func errorValues(_ error: KeywardError) -> [String: Any] {
        var values: [String: Any] = [
            "errorTitle": catalogue.title(for: error.code),
            "errorDetail": catalogue.sentence(for: error),
            "errorCode": error.code,
        ]
        if !error.violations.isEmpty {
            values["violations"] = error.violations.map { ["code": $0.code, "detail": $0.detail] }
        }
        if let href = Self.wayOut[error.code], let label = catalogue.action(for: error.code) {
            values["errorAction"] = ["href": href, "label": label]
        }
        return values
    }

    /// The page that is the way out of an error, for the errors that have one.
    static let wayOut = [
        "account.restricted": "/support?topic=account_restricted",
        "account.frozen": "/support?topic=account_frozen",
    ]
}
