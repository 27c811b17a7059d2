import Foundation
import Hummingbird
import KeywardCore

/// `/api/v1/support/cases…` and `/api/v1/login/{flowId}/unavailable…`: the person's side of the
/// support desk. A case opens with its token (`Authorization: Bearer`), or with a session of the
/// account it is about.
struct SupportCaseController {
    let cases: SupportCaseService
    let desk: SupportDeskService

    struct UnavailableBody: Decodable {
        let unavailable: [String]
        let description: String
        let method: String?
        let code: String?
    }

    struct ProofCodeBody: Decodable {
        let channel: String
    }

    struct OpenBody: Decodable {
        let identifier: String?
        let topic: String
        let description: String
    }

    struct VerifyBody: Decodable {
        let code: String
    }

    struct MessageBody: Decodable {
        let body: String
    }

    func addRoutes(to group: RouterGroup<KeywardRequestContext>) {
        group.post("login/{flowId}/unavailable/send-code", use: sendProofCode)
        group.post("login/{flowId}/unavailable", use: openFromSignIn)
        group.post("support/cases", use: open)
        group.get("support/cases", use: list)
        group.post("support/cases/{caseId}/verify", use: verify)
        group.get("support/cases/{caseId}", use: show)
        group.post("support/cases/{caseId}/messages", use: addMessage)
        group.post("support/cases/{caseId}/documents", use: addDocument)
        group.post("support/cases/{caseId}/submit", use: submit)
        group.post("support/cases/{caseId}/confirm-contact", use: confirmContact)
        group.post("support/cases/{caseId}/confirm-contact/send-code", use: resendContactCode)
    }

    @Sendable func sendProofCode(_ request: Request, context: KeywardRequestContext) async throws -> JSONAnswer<ProofCodeSentJSON> {
        let body = try await request.decodeJSON(ProofCodeBody.self, limit: context.bodyLimit)
        let sent = try await cases.sendSignInProofCode(flowId: try context.parameters.require("flowId"), channel: body.channel,
                                                       origin: context.origin)
        return JSONAnswer(ProofCodeSentJSON(channel: body.channel, destination: sent.destination,
                                            resendAvailableAt: sent.resendAvailableAt), status: .accepted)
    }

    @Sendable func openFromSignIn(_ request: Request, context: KeywardRequestContext) async throws -> JSONAnswer<OpenedCaseJSON> {
        let body = try await request.decodeJSON(UnavailableBody.self, limit: context.bodyLimit)
        let opened = try await cases.openFromSignIn(flowId: try context.parameters.require("flowId"),
                                                    unavailable: body.unavailable, description: body.description,
                                                    method: body.method, code: body.code, origin: context.origin)
        return JSONAnswer(OpenedCaseJSON(opened), status: .created)
    }

    /// Signed in: the case opens at once (201). Otherwise a code goes to the identifier given (202).
    @Sendable func open(_ request: Request, context: KeywardRequestContext) async throws -> Response {
        let body = try await request.decodeJSON(OpenBody.self, limit: context.bodyLimit)
        if let session = context.session {
            let opened = try await cases.open(session: session, topic: body.topic, description: body.description,
                                              origin: context.origin)
            return try jsonResponse(OpenedCaseJSON(opened), status: .created)
        }
        guard let identifier = body.identifier else { throw KeywardError.requestInvalidField("identifier") }
        let started = try await cases.startOpening(identifier: identifier, topic: body.topic, description: body.description,
                                                   origin: context.origin)
        return try jsonResponse(CaseOpeningJSON(caseId: started.caseId, channel: started.channel.rawValue,
                                                resendAvailableAt: started.resendAvailableAt), status: .accepted)
    }

    @Sendable func list(_ request: Request, context: KeywardRequestContext) async throws -> JSONAnswer<CaseListJSON> {
        guard let session = context.session else { throw KeywardError.sessionRequired }
        let found = try await cases.list(accountId: session.accountId)
        return JSONAnswer(CaseListJSON(cases: found.map {
            CaseListJSON.Entry(caseId: $0.id, topic: $0.topic.rawValue, status: $0.status.rawValue, createdAt: $0.createdAt)
        }))
    }

    @Sendable func verify(_ request: Request, context: KeywardRequestContext) async throws -> JSONAnswer<OpenedCaseJSON> {
        let body = try await request.decodeJSON(VerifyBody.self, limit: context.bodyLimit)
        let opened = try await cases.confirmOpening(caseId: try context.parameters.require("caseId"), code: body.code,
                                                    origin: context.origin)
        return JSONAnswer(OpenedCaseJSON(opened))
    }

    @Sendable func show(_ request: Request, context: KeywardRequestContext) async throws -> JSONAnswer<CaseJSON> {
        JSONAnswer(CaseJSON(try await cases.view(caseId: try context.parameters.require("caseId"),
                                                 access: try Self.access(request, context: context))))
    }

    @Sendable func addMessage(_ request: Request, context: KeywardRequestContext) async throws -> JSONAnswer<CaseJSON> {
        let access = try Self.access(request, context: context)
        let body = try await request.decodeJSON(MessageBody.self, limit: context.bodyLimit)
        let view = try await cases.addMessage(caseId: try context.parameters.require("caseId"), access: access,
                                              body: body.body, origin: context.origin)
        return JSONAnswer(CaseJSON(view), status: .created)
    }

    @Sendable func addDocument(_ request: Request, context: KeywardRequestContext) async throws -> JSONAnswer<CaseJSON.DocumentJSON> {
        let caseId = try context.parameters.require("caseId")
        let access = try Self.access(request, context: context)
        // Who may upload is settled before a byte of the file is read.
        _ = try await cases.authorize(caseId: caseId, access: access)
        let upload = try await DocumentUpload.read(request, limit: cases.settings.maxDocumentBytes)
        let document = try await cases.addDocument(caseId: caseId, access: access, kind: upload.kind,
                                                   content: upload.content, origin: context.origin)
        return JSONAnswer(CaseJSON.DocumentJSON(document), status: .created)
    }

    @Sendable func submit(_ request: Request, context: KeywardRequestContext) async throws -> JSONAnswer<CaseJSON> {
        JSONAnswer(CaseJSON(try await cases.submit(caseId: try context.parameters.require("caseId"),
                                                   access: try Self.access(request, context: context),
                                                   origin: context.origin)))
    }

    /// The new phone number or address support set takes effect with the code sent to it.
    @Sendable func confirmContact(_ request: Request, context: KeywardRequestContext) async throws -> JSONAnswer<CaseJSON> {
        let access = try Self.access(request, context: context)
        let body = try await request.decodeJSON(VerifyBody.self, limit: context.bodyLimit)
        return JSONAnswer(CaseJSON(try await desk.confirmContact(caseId: try context.parameters.require("caseId"), access: access,
                                                                 code: body.code, origin: context.origin)))
    }

    @Sendable func resendContactCode(_ request: Request, context: KeywardRequestContext) async throws -> JSONAnswer<CodeSentJSON> {
        let next = try await desk.resendContactCode(caseId: try context.parameters.require("caseId"),
                                                    access: try Self.access(request, context: context), origin: context.origin)
        return JSONAnswer(CodeSentJSON(resendAvailableAt: next), status: .accepted)
    }

    /// How the request shows it may see the case: a session of the account, else the case token
    /// as `Authorization: Bearer` (the API) or the case cookie (pages).
    static func access(_ request: Request, context: KeywardRequestContext) throws -> CaseAccess {
        let token = SessionMiddleware.token(in: request, cookie: WebCaseCookie.name)
        switch (context.session, token) {
        case (let session?, let token?) where token != context.sessionToken: return .accountOrToken(session.accountId, token)
        case (let session?, _): return .account(session.accountId)
        case (nil, let token?): return .token(token)
        case (nil, nil): throw KeywardError.caseTokenRequired
        }
    }
}

/// The cookie that carries a case's token on the pages.
enum WebCaseCookie {
    static let name = "__Host-keyward_case"
}
