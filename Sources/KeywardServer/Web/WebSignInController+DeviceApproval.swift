import Foundation
import Hummingbird
import KeywardCore

extension WebSignInController {
    /// `/login/approve-device`: "Was this you?" — after the second factor of a sign-in from a new
    /// device that risk control wants approved, the code sent to the account's email (or phone).
    func addDeviceApprovalRoutes(to router: Router<KeywardRequestContext>) {
        router.get("login/approve-device") { request, context in
            try await approvalPage(request: request, context: context, error: nil)
        }
        router.post("login/approve-device") { request, context in
            let form = try await request.formFields(limit: context.bodyLimit)
            guard let flowId = request.cookies[Self.flowCookie]?.value else { return Response.redirect(to: "/login", type: .found) }
            do {
                try csrf.verify(request, form: form)
                let result = try await services.signIns.approveDevice(flowId: flowId, code: form["code"] ?? "",
                                                                     origin: context.origin)
                return signInFinished(result.session)
            } catch let error as KeywardError where Self.endsSignIn(error) {
                return signInAgain(request: request, context: context, error: error)
            } catch let error as KeywardError where Self.shownInline(error) {
                return try await approvalPage(request: request, context: context, error: error)
            }
        }
    }

    private func approvalPage(request: Request, context: KeywardRequestContext, error: KeywardError?) async throws -> Response {
        guard let flowId = request.cookies[Self.flowCookie]?.value else { return Response.redirect(to: "/login", type: .found) }
        let pending: DeviceApprovalRequest
        do {
            pending = try await services.signIns.pendingApproval(flowId: flowId)
        } catch let failure as KeywardError where Self.endsSignIn(failure) {
            return signInAgain(request: request, context: context, error: failure)
        }
        return render("login-approve-device", "Approve this device", request: request, context: context,
                      values: ["destination": pending.destination, "channelIsSMS": pending.channel == .sms,
                               "minutes": Int(services.config.codeLifetime / 60)],
                      error: error)
    }
}
