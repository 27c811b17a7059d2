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
    ]
}
