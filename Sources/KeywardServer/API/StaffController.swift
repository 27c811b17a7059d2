import Foundation
import HTTPTypes
import Hummingbird
import KeywardCore

/// `/api/v1/staff/…`: staff enrolment and sign-in, the case queue, cases, documents and actions.
/// Everything past sign-in runs in a ``StaffContext``: only a staff session opens it.
struct StaffController {
    let staff: StaffService
    let desk: SupportDeskService

    struct PasswordBody: Decodable {
        let password: String
    }

    struct CodeBody: Decodable {
        let code: String
    }

    struct SignInBody: Decodable {
        let email: String
        let password: String
        let code: String
    }

    struct ActionBody: Decodable {
        let action: String
        let reason: String
        let phone: String?
        let email: String?
        let message: String?
    }

    func addRoutes(to group: RouterGroup<KeywardRequestContext>) {
        let open = group.group("staff")
        open.post("enrollment/{token}", use: startEnrolment)
        open.post("enrollment/{token}/confirm", use: confirmEnrolment)
        open.post("sessions", use: signIn)
        let signedIn = open.group(context: StaffContext.self)
        signedIn.delete("sessions/current", use: signOut)
        signedIn.get("cases", use: queue)
        signedIn.get("cases/{caseId}", use: detail)
        signedIn.get("cases/{caseId}/documents/{documentId}", use: document)
        signedIn.post("cases/{caseId}/actions", use: act)
        signedIn.get("actions", use: awaiting)
        signedIn.post("actions/{actionId}/approve", use: approve)
    }

    @Sendable func startEnrolment(_ request: Request, context: KeywardRequestContext) async throws -> JSONAnswer<EnrolmentJSON> {
        let body = try await request.decodeJSON(PasswordBody.self, limit: context.bodyLimit)
        let enrolment = try await staff.startEnrolment(token: try context.parameters.require("token"), password: body.password)
        return JSONAnswer(EnrolmentJSON(secret: enrolment.secret, otpauthUri: enrolment.otpauthURI, qrSvg: enrolment.qrSVG))
    }

    @Sendable func confirmEnrolment(_ request: Request, context: KeywardRequestContext) async throws -> JSONAnswer<StaffMemberJSON> {
        let body = try await request.decodeJSON(CodeBody.self, limit: context.bodyLimit)
        let member = try await staff.confirmEnrolment(token: try context.parameters.require("token"), code: body.code)
        return JSONAnswer(StaffMemberJSON(member))
    }

    @Sendable func signIn(_ request: Request, context: KeywardRequestContext) async throws -> JSONAnswer<StaffSessionJSON> {
        let body = try await request.decodeJSON(SignInBody.self, limit: context.bodyLimit)
        let signedIn = try await staff.signIn(email: body.email, password: body.password, code: body.code, origin: context.origin)
        return JSONAnswer(StaffSessionJSON(token: signedIn.token, staffId: signedIn.member.id, role: signedIn.member.role.rawValue,
                                           expiresAt: signedIn.session.expiresAt), status: .created)
    }

    @Sendable func signOut(_ request: Request, context: StaffContext) async throws -> HTTPResponse.Status {
        try await staff.signOut(context.session)
        return .noContent
    }

    @Sendable func queue(_ request: Request, context: StaffContext) async throws -> JSONAnswer<QueueJSON> {
        JSONAnswer(QueueJSON(try await desk.queue(status: request.uri.queryParameters.get("status")), desk: desk))
    }

    @Sendable func detail(_ request: Request, context: StaffContext) async throws -> JSONAnswer<StaffCaseJSON> {
        let detail = try await desk.detail(caseId: try context.parameters.require("caseId"), origin: context.origin)
        return JSONAnswer(StaffCaseJSON(detail, desk: desk))
    }

    /// The file, as an attachment that no browser renders as a page of this site.
    @Sendable func document(_ request: Request, context: StaffContext) async throws -> Response {
        let found = try await desk.document(caseId: try context.parameters.require("caseId"),
                                            documentId: try context.parameters.require("documentId"),
                                            staff: context.member, origin: context.origin)
        return Self.documentResponse(found.document, content: found.content, disposition: "attachment")
    }

    @Sendable func act(_ request: Request, context: StaffContext) async throws -> JSONAnswer<CaseActionJSON> {
        let body = try await request.decodeJSON(ActionBody.self, limit: context.bodyLimit)
        let action = try await desk.act(caseId: try context.parameters.require("caseId"), staff: context.member,
                                        action: body.action, reason: body.reason,
                                        value: body.phone ?? body.email ?? body.message, origin: context.origin)
        return JSONAnswer(CaseActionJSON(action), status: action.status == .applied ? .created : .accepted)
    }

    @Sendable func awaiting(_ request: Request, context: StaffContext) async throws -> JSONAnswer<CaseActionListJSON> {
        JSONAnswer(CaseActionListJSON(actions: try await desk.awaitingApproval().map(CaseActionJSON.init)))
    }

    @Sendable func approve(_ request: Request, context: StaffContext) async throws -> JSONAnswer<CaseActionJSON> {
        let action = try await desk.approve(actionId: try context.parameters.require("actionId"), staff: context.member,
                                            origin: context.origin)
        return JSONAnswer(CaseActionJSON(action))
    }

    /// A document's bytes with its own type, never sniffed, sandboxed and never cached.
    static func documentResponse(_ document: CaseDocument, content: [UInt8], disposition: String) -> Response {
        let name = "\(document.kind.rawValue)-\(document.id).\(document.contentType.fileExtension)"
        return Response(status: .ok, headers: [
            .contentType: document.contentType.rawValue,
            .contentDisposition: "\(disposition); filename=\"\(name)\"",
            .xContentTypeOptions: "nosniff",
            .contentSecurityPolicy: "sandbox; default-src 'none'; frame-ancestors 'none'",
            .cacheControl: "no-store",
        ], body: .init(byteBuffer: ByteBuffer(bytes: content)))
    }
}

extension DocumentContentType {
    /// The usual file name extension.
    var fileExtension: String {
        switch self {
        case .jpeg: "jpg"
        case .png: "png"
        case .pdf: "pdf"
        }
    }
}
