import Foundation

/// Runs the real tools tests compare against (`oathtool`, `python3` with `pyotp`, `zbarimg`).
public enum ExternalCommand {
    /// A command that could not run or ended with a failure status.
    public struct Failure: Error, CustomStringConvertible {
        /// The command, its status and what it wrote to standard error.
        public let description: String

        /// A failure described by `description`.
        public init(description: String) {
            self.description = description
        }
    }

    /// Runs `arguments` (found on `PATH`) with no input and returns its standard output trimmed of
    /// surrounding whitespace. Throws when it cannot start or exits with a non-zero status, so that a
    /// missing tool fails the test instead of skipping it.
    public static func run(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw Failure(description: "\(arguments.first ?? "command") could not start: \(error)")
        }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(description: "\(arguments.first ?? "command") exited with \(process.terminationStatus) (is it installed?): "
                          + String(decoding: message, as: UTF8.self))
        }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
