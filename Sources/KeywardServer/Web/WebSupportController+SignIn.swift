import Foundation
import Hummingbird
import KeywardCore

extension WebSupportController {
    /// The fields that carry what the person can no longer use: `unavailable-totp` and so on.
    static let unavailablePrefix = "unavailable-"

    /// "Security verification unavailable?" from a sign-in's second step: what can be tried first,
    /// then a case for this sign-in. The person ticks what they can no longer use and says what
    /// happened; when the account has a channel they did not tick, a code to it comes next; then the
    /// case opens, its token kept in this browser, and the sign-in is over.
    func addSignInRoutes(to router: Router<KeywardRequestContext>) {
        router.get("login/verification-unavailable") { request, context in
            try await unavailablePage(request: request, context: context, form: [:], error: nil)
        }
        router.post("login/verification-unavailable") { request, context in
            let form = try await request.formFields(limit: context.bodyLimit)
            guard let flowId = request.cookies[WebSignInController.flowCookie]?.value else {
                return Response.redirect(to: "/login", type: .found)
            }
            let method = form["method"].flatMap { $0.isEmpty ? nil : $0 }
            do {
                try csrf.verify(request, form: form)
                let opened = try await services.cases.openFromSignIn(
                    flowId: flowId, unavailable: Self.unavailable(in: form), description: form["description"] ?? "",
                    method: method, code: form["code"], origin: context.origin)
                var response = caseOpened(opened)
                response.setCookie(Cookie(name: WebSignInController.flowCookie, value: "", maxAge: 0, path: "/", secure: true,
                                          httpOnly: true, sameSite: .lax))
                return response
            } catch let error as KeywardError where error.code == "case.proof_required" && method == nil {
                // Not a mistake: what still works is proven next.
                return try await proofPage(flowId: flowId, request: request, context: context, form: form, error: nil)
            } catch let error as KeywardError where error.status < 500 {
                if method != nil, !["case.description_invalid", "case.unavailable_invalid"].contains(error.code) {
                    return try await proofPage(flowId: flowId, request: request, context: context, form: form, error: error)
                }
                return try await unavailablePage(request: request, context: context, form: form, error: error)
            }
        }
        router.post("login/verification-unavailable/send-code") { request, context in
            let form = try await request.formFields(limit: context.bodyLimit)
            guard let flowId = request.cookies[WebSignInController.flowCookie]?.value else {
                return Response.redirect(to: "/login", type: .found)
            }
            let channel = form["channel"] ?? ""
            var sentForm = form
            sentForm["method"] = DeliveryChannel(rawValue: channel).map { SecondFactorMethod(channel: $0).rawValue } ?? ""
            do {
                try csrf.verify(request, form: form)
                let sent = try await services.cases.sendSignInProofCode(flowId: flowId, channel: channel, origin: context.origin)
                return try await proofPage(flowId: flowId, request: request, context: context, form: sentForm, error: nil,
                                           sent: sent)
            } catch let error as KeywardError where error.status < 500 {
                return try await proofPage(flowId: flowId, request: request, context: context, form: sentForm, error: error)
            }
        }
    }

    /// The factors the form names, in a stable order.
    static func unavailable(in form: [String: String]) -> [String] {
        form.keys.filter { $0.hasPrefix(unavailablePrefix) }.map { String($0.dropFirst(unavailablePrefix.count)) }.sorted()
    }

    /// The help page, with the form that opens a case when a sign-in is waiting for its second step
    /// (a sign-in that is over, or none, shows the help and "Contact support" only).
    private func unavailablePage(request: Request, context: KeywardRequestContext, form: [String: String],
                                 error: KeywardError?) async throws -> Response {
        var values: [String: Any] = [:]
        var shown = error
        if let flowId = request.cookies[WebSignInController.flowCookie]?.value {
            do {
                let options = try await services.cases.unavailableOptions(flowId: flowId)
                let ticked = Self.unavailable(in: form)
                values["caseForm"] = [
                    "factors": options.factors.map { name -> [String: Any] in
                        ["name": name, "factor": [name: true], "checked": ticked.contains(name),
                         "destination": options.channels.first { $0.channel.rawValue == name }?.destination ?? ""]
                    },
                    "description": form["description"] ?? "",
                ] as [String: Any]
            } catch let failure as KeywardError where failure.status < 500 {
                // Only a form that was sent says why it cannot go on; the help page itself stays quiet.
                if error != nil { shown = failure }
            }
        }
        return pages.form("verification-unavailable", "Security verification unavailable", request: request,
                          context: context, csrf: csrf, values: values, error: shown)
    }

    /// The next step when the account has channels the person did not tick: a code to one of them,
    /// entered here, opens the case. `sent` is the code just sent; the form's `method` the channel
    /// its code is for.
    private func proofPage(flowId: String, request: Request, context: KeywardRequestContext, form: [String: String],
                           error: KeywardError?, sent: (destination: String, resendAvailableAt: Date)? = nil) async throws -> Response {
        let ticked = Self.unavailable(in: form)
        let options: CaseUnavailableOptions
        do {
            options = try await services.cases.unavailableOptions(flowId: flowId, unavailable: ticked)
        } catch let failure as KeywardError where failure.status < 500 {
            return try await unavailablePage(request: request, context: context, form: form, error: failure)
        }
        let now = services.clock.now()
        let methods = options.channels.map { SecondFactorMethod(channel: $0.channel).rawValue }
        // The code entered is for the channel a code was last asked for here, or the only one left.
        let method = form["method"].flatMap { methods.contains($0) ? $0 : nil } ?? (methods.count == 1 ? methods[0] : "")
        var values: [String: Any] = [
            "ticked": ticked.map { ["name": $0, "factor": [$0: true]] },
            "description": form["description"] ?? "",
            "method": method,
            "hasMethod": !method.isEmpty,
            "channels": options.channels.map { option -> [String: Any] in
                let selected = SecondFactorMethod(channel: option.channel).rawValue == method
                var values: [String: Any] = ["channel": option.channel.rawValue, "destination": option.destination,
                                             "selected": selected, "sent": selected && sent != nil]
                if selected {
                    values.merge(resendCountdown(availableAt: sent?.resendAvailableAt ?? now, error: error, now: now)) { $1 }
                }
                return values
            },
        ]
        if let sent {
            values["notice"] = MessageCatalogue.english.sentence(for: "notice.case_code_sent",
                                                                 parameters: ["destination": sent.destination])
        }
        return pages.form("support-unavailable-proof", "Confirm with what still works", request: request, context: context,
                          csrf: csrf, values: values, error: error)
    }
}
