import ArgumentParser
import Foundation
import KeywardCore
import KeywardServer

/// `keyward staff add|list|disable`: support staff, managed on the server's own machine with the
/// same configuration options as `serve`.
struct StaffCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "staff", abstract: "Add, list and disable support staff.",
        subcommands: [Add.self, List.self, Disable.self, Invite.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a member of staff and print their one-time enrolment link (valid 24 hours).")

        @OptionGroup var options: ConfigOptions
        @Option(help: "Their work email address.") var email: String
        @Option(help: "agent, reviewer or admin.") var role: String

        func run() async throws {
            guard let role = StaffMember.Role(rawValue: role) else {
                fail(ValidationError("--role must be agent, reviewer or admin, not \(role)"))
            }
            let config = loadOrFail(options)
            do {
                let invitation = try await withStaffService(config: config) { staff in
                    try await staff.add(email: email, role: role)
                }
                printInvitation(invitation, config: config)
            } catch {
                fail(describe(error))
            }
        }
    }

    struct Invite: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a new enrolment link for a member of staff who has not enrolled yet.")

        @OptionGroup var options: ConfigOptions
        @Option(help: "Their work email address.") var email: String

        func run() async throws {
            let config = loadOrFail(options)
            do {
                printInvitation(try await withStaffService(config: config) { try await $0.reinvite(email: email) }, config: config)
            } catch {
                fail(describe(error))
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List every member of staff.")

        @OptionGroup var options: ConfigOptions

        func run() async throws {
            do {
                for member in try await withStaffService(config: loadOrFail(options), { try await $0.list() }) {
                    say("\(member.email)\t\(member.role.rawValue)\t\(member.status.rawValue)\t\(member.id)")
                }
            } catch {
                fail(describe(error))
            }
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Disable a member of staff and end their sessions.")

        @OptionGroup var options: ConfigOptions
        @Option(help: "Their work email address.") var email: String

        func run() async throws {
            do {
                let member = try await withStaffService(config: loadOrFail(options)) { try await $0.disable(email: email) }
                say("Disabled \(member.email); their sessions have ended.")
            } catch {
                fail(describe(error))
            }
        }
    }
}

/// The configuration the options name, or a one-line reason and exit status 1.
private func loadOrFail(_ options: ConfigOptions) -> KeywardConfig {
    do { return try options.load() } catch { fail(error) }
}

private func printInvitation(_ invitation: StaffInvitation, config: KeywardConfig) {
    let base = config.effectivePublicURL.hasSuffix("/") ? String(config.effectivePublicURL.dropLast()) : config.effectivePublicURL
    say("Added \(invitation.member.email) as \(invitation.member.role.rawValue).")
    say("Enrolment link (once, until \(ISO8601.string(invitation.expiresAt)) UTC): \(base)/staff/enroll/\(invitation.token)")
}

/// An error as one line: a Keyward error by its code and sentence.
private func describe(_ error: any Error) -> any Error {
    guard let keyward = error as? KeywardError else { return error }
    return ValidationError("\(keyward.code): \(MessageCatalogue.english.sentence(for: keyward))")
}
