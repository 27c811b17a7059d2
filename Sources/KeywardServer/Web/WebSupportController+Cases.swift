import Foundation
import Hummingbird
import KeywardCore

extension WebSupportController {
    /// What `?done=` on a case page says, by catalogue key.
    static let caseNotices = [
        "opened": "notice.case_opened",
        "message": "notice.case_message_added",
        "document": "notice.case_document_added",
        "submitted": "notice.case_submitted",
        "contact-confirmed": "notice.case_contact_confirmed",
        "contact-code-sent": "notice.case_contact_code_sent",
    ]

    /// The case page and its forms: a message, a document, sending it to support. Each opens the
    /// case with the owner's session or the token in the case cookie; without either the page says
    /// the case opens only on the device it was opened on.
    func addCaseRoutes(to router: Router<KeywardRequestContext>) {
        router.get("support/cases/{caseId}") { request, context in
            let notice = request.uri.queryParameters["done"].flatMap { Self.caseNotices[String($0)] }
                .map { MessageCatalogue.english.sentence(for: $0) }
            return try await casePage(caseId: try context.parameters.require("caseId"), request: request, context: context,
                                      error: nil, notice: notice)
        }
        router.post("support/cases/{caseId}/messages") { request, context in
            try await caseAction(request, context, done: "message") { caseId, access in
                let form = try await request.formFields(limit: context.bodyLimit)
                try csrf.verify(request, form: form)
                _ = try await services.cases.addMessage(caseId: caseId, access: access, body: form["body"] ?? "",
                                                        origin: context.origin)
            }
        }
        router.post("support/cases/{caseId}/submit") { request, context in
            try await caseAction(request, context, done: "submitted") { caseId, access in
                try csrf.verify(request, form: try await request.formFields(limit: context.bodyLimit))
                _ = try await services.cases.submit(caseId: caseId, access: access, origin: context.origin)
            }
        }
        router.post("support/cases/{caseId}/confirm-contact") { request, context in
            try await caseAction(request, context, done: "contact-confirmed") { caseId, access in
                let form = try await request.formFields(limit: context.bodyLimit)
                try csrf.verify(request, form: form)
                _ = try await services.desk.confirmContact(caseId: caseId, access: access, code: form["code"] ?? "",
                                                           origin: context.origin)
            }
        }
        router.post("support/cases/{caseId}/confirm-contact/send-code") { request, context in
            try await caseAction(request, context, done: "contact-code-sent") { caseId, access in
                try csrf.verify(request, form: try await request.formFields(limit: context.bodyLimit))
                _ = try await services.desk.resendContactCode(caseId: caseId, access: access, origin: context.origin)
            }
        }
        router.post("support/cases/{caseId}/documents") { request, context in
            try await caseAction(request, context, done: "document") { caseId, access in
                // Who may upload is settled before a byte of the file is read, and the form's CSRF
                // token, which travels in the upload itself, before the file is stored.
                _ = try await services.cases.authorize(caseId: caseId, access: access)
                let upload = try await DocumentUpload.read(request, limit: services.cases.settings.maxDocumentBytes,
                                                           fields: [CSRFGuard.fieldName])
                try csrf.verify(request, form: upload.fields)
                _ = try await services.cases.addDocument(caseId: caseId, access: access, kind: upload.kind,
                                                         content: upload.content, origin: context.origin)
            }
        }
    }

    /// Runs a case form's `action`, then shows the case again with `done`'s notice; a refusal shows
    /// the case with the catalogue's sentence.
    private func caseAction(_ request: Request, _ context: KeywardRequestContext, done: String,
                            _ action: (String, CaseAccess) async throws -> Void) async throws -> Response {
        let caseId = try context.parameters.require("caseId")
        do {
            try await action(caseId, try SupportCaseController.access(request, context: context))
            return Response.redirect(to: "/support/cases/\(caseId)?done=\(done)", type: .normal)
        } catch let error as KeywardError where error.status < 500 {
            return try await casePage(caseId: caseId, request: request, context: context, error: error, notice: nil)
        }
    }

    /// The case as its owner sees it, or, when the request does not open it, the page saying where it opens.
    private func casePage(caseId: String, request: Request, context: KeywardRequestContext, error: KeywardError?,
                          notice: String?) async throws -> Response {
        let view: CaseView
        let pending: Identifier?
        do {
            let access = try SupportCaseController.access(request, context: context)
            view = try await services.cases.view(caseId: caseId, access: access)
            pending = try await services.desk.pendingContact(caseId: caseId, access: access)
        } catch let failure as KeywardError where failure.code == "case.not_found" || failure.code == "case.token_required" {
            return pages.form("support-case-elsewhere", "Case not available here", request: request, context: context,
                              csrf: csrf, values: [:], error: failure)
        }
        var values = Self.caseValues(view, missing: error?.code == "case.requirements_missing",
                                     maxDocumentBytes: services.cases.settings.maxDocumentBytes)
        if let notice { values["notice"] = notice }
        if let pending { values["contactPending"] = ["destination": pending.masked, "phone": pending.kind == .phone] }
        return pages.form("support-case", "Support case \(caseId)", request: request, context: context, csrf: csrf,
                          values: values, error: error)
    }

    /// What the case page shows of `view`: words come from the template, keyed by the raw values.
    static func caseValues(_ view: CaseView, missing: Bool, maxDocumentBytes: Int) -> [String: Any] {
        let supportCase = view.supportCase
        let firstNeeded = view.requirements.first { !$0.satisfied }?.kind
        var values: [String: Any] = [
            "caseId": supportCase.id,
            "topic": [supportCase.topic.rawValue: true],
            "status": [supportCase.status.rawValue: true],
            "statusCode": supportCase.status.rawValue,
            "createdAt": ISO8601.string(supportCase.createdAt),
            "open": !supportCase.status.isClosed,
            "canSubmit": supportCase.status == .open || supportCase.status == .waitingForPerson,
            "requirements": view.requirements.map { requirement -> [String: Any] in
                ["kind": [requirement.kind.rawValue: true], "type": requirement.kind.rawValue,
                 "satisfied": requirement.satisfied, "missing": missing && !requirement.satisfied]
            },
            "hasRequirements": !view.requirements.isEmpty,
            "showMissing": missing,
            "needsSelfie": view.requirements.contains { $0.kind == .selfie },
            "documents": view.documents.map { document -> [String: Any] in
                ["kind": [document.kind.rawValue: true], "type": document.kind.rawValue,
                 "format": [String(document.contentType.rawValue.split(separator: "/").last ?? ""): true],
                 "small": document.bytes < 1024, "bytes": document.bytes,
                 "kilobytes": String(format: "%.1f", Double(document.bytes) / 1024),
                 "uploadedAt": ISO8601.string(document.uploadedAt)]
            },
            "hasDocuments": !view.documents.isEmpty,
            "messages": view.messages.map { message -> [String: Any] in
                ["fromPerson": message.author == .person, "body": message.body, "at": ISO8601.string(message.at)]
            },
            "hasMessages": !view.messages.isEmpty,
            "documentKinds": CaseDocument.Kind.allCases.map { kind -> [String: Any] in
                ["value": kind.rawValue, "kind": [kind.rawValue: true], "selected": kind == firstNeeded]
            },
            "maxMegabytes": max(1, maxDocumentBytes >> 20),
        ]
        if let respondBy = supportCase.respondBy {
            values["respondBy"] = ["iso": ISO8601.string(respondBy), "utc": utcText(respondBy)]
        }
        if let decision = supportCase.decision { values["decision"] = decision }
        return values
    }

    /// `2025-03-01 14:05 UTC`: a moment as the case page states it, the same for every reader.
    static func utcText(_ date: Date) -> String {
        let iso = ISO8601.string(date)  // 2025-03-01T14:05:09Z
        return "\(iso.prefix(10)) \(iso.dropFirst(11).prefix(5)) UTC"
    }
}
