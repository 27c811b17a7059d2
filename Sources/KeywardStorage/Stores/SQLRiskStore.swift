import Foundation
import KeywardCore
import SQLKit

/// Sign-in attempts (`sign_in_attempts`) and risk evaluations (`risk_evaluations`).
struct SQLRiskStore: RiskStore {
    let sql: any SQLDatabase

    func record(_ attempt: SignInAttempt) async throws {
        try await sql.raw("""
            INSERT INTO sign_in_attempts (network, country, identifier_hash, account_id, password_right, at)
            VALUES (\(bind: attempt.network), \(bind: attempt.country), \(bind: attempt.identifierHash),
                    \(bind: attempt.accountId), \(bind: attempt.passwordRight ? 1 : 0), \(bind: attempt.at.unixMilliseconds))
            """).run()
    }

    func failures(network: String, since: Date) async throws -> (identifiers: Int, attempts: Int) {
        let row = try await sql.raw("""
            SELECT COUNT(DISTINCT identifier_hash) AS identifiers, COUNT(*) AS attempts FROM sign_in_attempts
            WHERE network = \(bind: network) AND at >= \(bind: since.unixMilliseconds) AND password_right = 0
            """).first()
        return (try row?.int("identifiers") ?? 0, try row?.int("attempts") ?? 0)
    }

    func places(accountId: String, since: Date) async throws -> (networks: Int, countries: Int) {
        let row = try await sql.raw("""
            SELECT COUNT(DISTINCT network) AS networks, COUNT(DISTINCT country) AS countries FROM sign_in_attempts
            WHERE account_id = \(bind: accountId) AND at >= \(bind: since.unixMilliseconds) AND password_right = 1
            """).first()
        return (try row?.int("networks") ?? 0, try row?.int("countries") ?? 0)
    }

    func record(_ evaluation: RiskEvaluation) async throws {
        let signals = String(decoding: try JSONEncoder.sortedKeys.encode(evaluation.signals), as: UTF8.self)
        try await sql.raw("""
            INSERT INTO risk_evaluations (id, account_id, stage, decision, reason, enforced, signals, network, country, at)
            VALUES (\(bind: evaluation.id), \(bind: evaluation.accountId), \(bind: evaluation.stage.rawValue),
                    \(bind: evaluation.decision.rawValue), \(bind: evaluation.reason?.rawValue), \(bind: evaluation.enforced ? 1 : 0),
                    \(bind: signals), \(bind: evaluation.network), \(bind: evaluation.country), \(bind: evaluation.at.unixMilliseconds))
            """).run()
    }

    func evaluations(accountId: String, limit: Int) async throws -> [RiskEvaluation] {
        try await sql.raw("""
            SELECT id, account_id, stage, decision, reason, enforced, signals, network, country, at FROM risk_evaluations
            WHERE account_id = \(bind: accountId) ORDER BY at DESC, id LIMIT \(bind: limit)
            """).all().map(Self.evaluation)
    }

    func prune(attemptsBefore: Date, evaluationsBefore: Date) async throws -> Int {
        let attempts = try await sql.raw("""
            DELETE FROM sign_in_attempts WHERE at < \(bind: attemptsBefore.unixMilliseconds) RETURNING at
            """).all().count
        let evaluations = try await sql.raw("""
            DELETE FROM risk_evaluations WHERE at < \(bind: evaluationsBefore.unixMilliseconds) RETURNING id
            """).all().count
        return attempts + evaluations
    }

    private static func evaluation(_ row: any SQLRow) throws -> RiskEvaluation {
        guard let stage = RiskEvaluation.Stage(rawValue: try row.string("stage")),
              let decision = RiskDecision(rawValue: try row.string("decision"))
        else { throw KeywardError.internalError }
        let reason = try row.optionalString("reason").map { text in
            guard let reason = AccountRestriction.Reason(rawValue: text) else { throw KeywardError.internalError }
            return reason
        }
        let signals = try JSONDecoder().decode(RiskSignals.self, from: Data(try row.string("signals").utf8))
        return RiskEvaluation(id: try row.string("id"), accountId: try row.string("account_id"), stage: stage,
                              decision: decision, reason: reason, enforced: try row.int("enforced") != 0, signals: signals,
                              network: try row.optionalString("network"), country: try row.optionalString("country"),
                              at: try row.date("at"))
    }
}

private extension JSONEncoder {
    static var sortedKeys: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return encoder
    }
}
