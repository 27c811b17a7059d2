import Foundation
import Hummingbird
import KeywardCore

/// `/api/v1/help/sign-in…`: "Can't sign in?" — a code to the identifier given, then what stands
/// between its holder and their account, with the way out of each.
struct SignInHelpController {
    let help: SignInHelpService

    struct StartBody: Decodable {
        let identifier: String
    }

    struct VerifyBody: Decodable {
        let code: String
    }

    struct StartedJSON: Encodable {
        let helpId: String
        let channel: String
        let resendAvailableAt: Date

        init(_ started: SignInHelpStarted) {
            helpId = started.helpId
            channel = started.channel.rawValue
            resendAvailableAt = started.resendAvailableAt
        }
    }

    struct FindingsJSON: Encodable {
        struct Finding: Encodable {
            struct Action: Encodable {
                let label: String
                let href: String
            }

            let code: String
            let title: String
            let detail: String
            let action: Action?
            let at: Date?
        }

        let findings: [Finding]

        init(_ findings: [SignInHelpFinding]) {
            self.findings = findings.map {
                Finding(code: $0.code, title: $0.title, detail: $0.detail,
                        action: $0.action.map { Finding.Action(label: $0.label, href: $0.href) }, at: $0.at)
            }
        }
    }

    func addRoutes(to group: RouterGroup<KeywardRequestContext>) {
        group.post("help/sign-in", use: start)
        group.post("help/sign-in/{helpId}/send-code", use: resend)
        group.post("help/sign-in/{helpId}/verify", use: verify)
    }

    @Sendable func start(_ request: Request, context: KeywardRequestContext) async throws -> JSONAnswer<StartedJSON> {
        let body = try await request.decodeJSON(StartBody.self, limit: context.bodyLimit)
        return JSONAnswer(StartedJSON(try await help.start(identifier: body.identifier, origin: context.origin)),
                          status: .accepted)
    }

    @Sendable func resend(_ request: Request, context: KeywardRequestContext) async throws -> JSONAnswer<StartedJSON> {
        JSONAnswer(StartedJSON(try await help.resend(helpId: try context.parameters.require("helpId"), origin: context.origin)),
                   status: .accepted)
    }

    @Sendable func verify(_ request: Request, context: KeywardRequestContext) async throws -> JSONAnswer<FindingsJSON> {
        let body = try await request.decodeJSON(VerifyBody.self, limit: context.bodyLimit)
        return JSONAnswer(FindingsJSON(try await help.verify(helpId: try context.parameters.require("helpId"), code: body.code,
                                                             origin: context.origin)))
    }
}
