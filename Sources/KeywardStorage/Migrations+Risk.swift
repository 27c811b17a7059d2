extension Migrations {
    /// Restrictions, freezes and risk control.
    static let risk: [Migration] = [
        Migration(version: 12, name: "account restrictions and freezes", statements: [
            """
            CREATE TABLE account_restrictions (
                id TEXT PRIMARY KEY,
                account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                kind TEXT NOT NULL,
                reason TEXT NOT NULL,
                placed_by TEXT NOT NULL,
                note TEXT,
                placed_at BIGINT NOT NULL,
                lifted_at BIGINT,
                lifted_by TEXT
            )
            """,
            // At most one of each kind in force per account.
            "CREATE UNIQUE INDEX account_restrictions_in_force ON account_restrictions (account_id, kind) WHERE lifted_at IS NULL",
        ]),
        Migration(version: 13, name: "freeze links of security notices", statements: [
            """
            CREATE TABLE freeze_links (
                token_hash TEXT PRIMARY KEY,
                account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                created_at BIGINT NOT NULL,
                expires_at BIGINT NOT NULL,
                used_at BIGINT
            )
            """,
            "CREATE INDEX freeze_links_expiry ON freeze_links (expires_at)",
        ]),
        Migration(version: 14, name: "sign-in attempts and risk evaluations", statements: [
            // Identifiers only as keyed hashes; kept for the longest risk window, then pruned.
            """
            CREATE TABLE sign_in_attempts (
                network TEXT,
                country TEXT,
                identifier_hash TEXT NOT NULL,
                account_id TEXT,
                password_right BIGINT NOT NULL,
                at BIGINT NOT NULL
            )
            """,
            "CREATE INDEX sign_in_attempts_network ON sign_in_attempts (network, at)",
            "CREATE INDEX sign_in_attempts_account ON sign_in_attempts (account_id, at)",
            "CREATE INDEX sign_in_attempts_age ON sign_in_attempts (at)",
            """
            CREATE TABLE risk_evaluations (
                id TEXT PRIMARY KEY,
                account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                stage TEXT NOT NULL,
                decision TEXT NOT NULL,
                reason TEXT,
                enforced BIGINT NOT NULL,
                signals TEXT NOT NULL,
                network TEXT,
                country TEXT,
                at BIGINT NOT NULL
            )
            """,
            "CREATE INDEX risk_evaluations_account ON risk_evaluations (account_id, at)",
            "CREATE INDEX risk_evaluations_age ON risk_evaluations (at)",
        ]),
    ]
}
