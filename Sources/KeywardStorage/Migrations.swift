/// One step of the schema, applied once and recorded in `keyward_migrations`.
struct Migration: Sendable {
    /// Applied in increasing order; never reused.
    let version: Int
    /// What it does.
    let name: String
    /// The statements, run one by one inside one transaction.
    let statements: [String]
}

/// Every migration, oldest first. A new migration is appended with the next version; an applied one
/// is never edited.
enum Migrations {
    static let all: [Migration] = [
        Migration(version: 1, name: "accounts, flows, codes, sessions, outbox, audit, development mailbox", statements: [
            """
            CREATE TABLE accounts (
                id TEXT PRIMARY KEY,
                status TEXT NOT NULL,
                password_hash TEXT,
                created_at BIGINT NOT NULL,
                activated_at BIGINT
            )
            """,
            """
            CREATE TABLE account_identifiers (
                kind TEXT NOT NULL,
                value TEXT NOT NULL,
                account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                verified_at BIGINT,
                created_at BIGINT NOT NULL,
                PRIMARY KEY (kind, value)
            )
            """,
            "CREATE INDEX account_identifiers_account ON account_identifiers (account_id)",
            """
            CREATE TABLE flows (
                id TEXT PRIMARY KEY,
                kind TEXT NOT NULL,
                state TEXT NOT NULL,
                account_id TEXT REFERENCES accounts(id) ON DELETE CASCADE,
                identifier_kind TEXT,
                identifier_value TEXT,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL,
                expires_at BIGINT NOT NULL,
                payload TEXT NOT NULL
            )
            """,
            "CREATE INDEX flows_account ON flows (account_id, kind, state)",
            """
            CREATE TABLE verification_codes (
                id TEXT PRIMARY KEY,
                flow_id TEXT NOT NULL REFERENCES flows(id) ON DELETE CASCADE,
                channel TEXT NOT NULL,
                destination TEXT NOT NULL,
                code_hash TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                expires_at BIGINT NOT NULL,
                attempts BIGINT NOT NULL,
                max_attempts BIGINT NOT NULL,
                consumed_at BIGINT
            )
            """,
            "CREATE INDEX verification_codes_flow ON verification_codes (flow_id, created_at)",
            "CREATE INDEX verification_codes_destination ON verification_codes (destination, created_at)",
            """
            CREATE TABLE sessions (
                id TEXT PRIMARY KEY,
                account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                token_hash TEXT NOT NULL UNIQUE,
                created_at BIGINT NOT NULL,
                last_seen_at BIGINT NOT NULL,
                expires_at BIGINT NOT NULL,
                device_name TEXT,
                user_agent TEXT,
                ip TEXT,
                revoked_at BIGINT
            )
            """,
            "CREATE INDEX sessions_account ON sessions (account_id, created_at)",
            """
            CREATE TABLE outbox (
                id TEXT PRIMARY KEY,
                channel TEXT NOT NULL,
                destination TEXT NOT NULL,
                subject TEXT NOT NULL,
                body TEXT,
                code TEXT,
                account_id TEXT,
                created_at BIGINT NOT NULL,
                status TEXT NOT NULL,
                attempts BIGINT NOT NULL,
                next_attempt_at BIGINT NOT NULL,
                lease_until BIGINT,
                sent_at BIGINT,
                last_error TEXT
            )
            """,
            "CREATE INDEX outbox_due ON outbox (status, next_attempt_at)",
            """
            CREATE TABLE audit_events (
                id TEXT PRIMARY KEY,
                kind TEXT NOT NULL,
                outcome TEXT NOT NULL,
                account_id TEXT,
                ip TEXT,
                user_agent TEXT,
                at BIGINT NOT NULL,
                details TEXT NOT NULL
            )
            """,
            "CREATE INDEX audit_events_account ON audit_events (account_id, at)",
            """
            CREATE TABLE dev_mailbox (
                id TEXT PRIMARY KEY,
                recipient TEXT NOT NULL,
                channel TEXT NOT NULL,
                subject TEXT NOT NULL,
                body TEXT NOT NULL,
                code TEXT,
                sent_at BIGINT NOT NULL
            )
            """,
            "CREATE INDEX dev_mailbox_sent ON dev_mailbox (sent_at)",
        ]),
        Migration(version: 2, name: "rate limits, failure counters and locks, security holds, known devices", statements: [
            """
            CREATE TABLE rate_limits (
                key TEXT PRIMARY KEY,
                window_start BIGINT NOT NULL,
                window_ends_at BIGINT NOT NULL,
                count BIGINT NOT NULL
            )
            """,
            "CREATE INDEX rate_limits_ends ON rate_limits (window_ends_at)",
            """
            CREATE TABLE login_failures (
                account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                scope TEXT NOT NULL,
                failed_count BIGINT NOT NULL,
                first_failed_at BIGINT,
                locked_until BIGINT,
                PRIMARY KEY (account_id, scope)
            )
            """,
            """
            CREATE TABLE security_holds (
                id TEXT PRIMARY KEY,
                account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                kind TEXT NOT NULL,
                reason TEXT NOT NULL,
                placed_at BIGINT NOT NULL,
                until_at BIGINT NOT NULL
            )
            """,
            "CREATE INDEX security_holds_account ON security_holds (account_id, until_at)",
            """
            CREATE TABLE known_devices (
                account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                device_hash TEXT NOT NULL,
                first_seen_at BIGINT NOT NULL,
                last_seen_at BIGINT NOT NULL,
                PRIMARY KEY (account_id, device_hash)
            )
            """,
        ]),
        Migration(version: 3, name: "recovery failure counters keyed by identifier", statements: [
            """
            CREATE TABLE recovery_failures (
                subject TEXT NOT NULL,
                scope TEXT NOT NULL,
                failed_count BIGINT NOT NULL,
                first_failed_at BIGINT,
                locked_until BIGINT,
                PRIMARY KEY (subject, scope)
            )
            """,
        ]),
        Migration(version: 4, name: "authenticators, code purposes, anti-phishing codes, re-authentication times", statements: [
            """
            CREATE TABLE authenticators (
                id TEXT PRIMARY KEY,
                account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                state TEXT NOT NULL,
                secret_sealed TEXT NOT NULL,
                last_used_step BIGINT,
                created_at BIGINT NOT NULL,
                confirmed_at BIGINT
            )
            """,
            "CREATE INDEX authenticators_account ON authenticators (account_id, state)",
            "ALTER TABLE verification_codes ADD COLUMN purpose TEXT NOT NULL DEFAULT ''",
            "CREATE INDEX verification_codes_flow_purpose ON verification_codes (flow_id, purpose, created_at)",
            "ALTER TABLE accounts ADD COLUMN anti_phishing_sealed TEXT",
            "ALTER TABLE sessions ADD COLUMN reauthenticated_at BIGINT",
        ]),
        Migration(version: 5, name: "networks and countries accounts are used from", statements: [
            """
            CREATE TABLE known_locations (
                account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                kind TEXT NOT NULL,
                value TEXT NOT NULL,
                first_seen_at BIGINT NOT NULL,
                last_seen_at BIGINT NOT NULL,
                PRIMARY KEY (account_id, kind, value)
            )
            """,
        ]),
        Migration(version: 6, name: "sealed outbox texts, pending passwords out of flow payloads", statements: [
            // New messages keep their text only sealed; `body` is left for messages queued before.
            "ALTER TABLE outbox ADD COLUMN body_sealed TEXT",
            "ALTER TABLE flows ADD COLUMN password_hash TEXT",
        ]),
        Migration(version: 7, name: "recovery codes", statements: [
            """
            CREATE TABLE recovery_codes (
                id TEXT PRIMARY KEY,
                account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                code_hash TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                used_at BIGINT,
                UNIQUE (account_id, code_hash)
            )
            """,
        ]),
        Migration(version: 8, name: "passkeys", statements: [
            """
            CREATE TABLE passkeys (
                id TEXT PRIMARY KEY,
                account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                credential_id TEXT NOT NULL UNIQUE,
                public_key TEXT NOT NULL,
                algorithm BIGINT NOT NULL,
                sign_count BIGINT NOT NULL,
                transports TEXT NOT NULL,
                backup_eligible BIGINT NOT NULL,
                backed_up BIGINT NOT NULL,
                name TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                last_used_at BIGINT
            )
            """,
            "CREATE INDEX passkeys_account ON passkeys (account_id)",
        ]),
        Migration(version: 9, name: "expired flows found without a scan", statements: [
            "CREATE INDEX flows_expiry ON flows (expires_at)",
        ]),
        Migration(version: 10, name: "support cases, their threads and sealed documents", statements: [
            """
            CREATE TABLE support_cases (
                id TEXT PRIMARY KEY,
                account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                topic TEXT NOT NULL,
                status TEXT NOT NULL,
                token_hash TEXT NOT NULL,
                description TEXT NOT NULL,
                proofs TEXT NOT NULL,
                unavailable TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL,
                respond_by BIGINT,
                closed_at BIGINT,
                decision TEXT
            )
            """,
            "CREATE INDEX support_cases_account ON support_cases (account_id, created_at)",
            "CREATE INDEX support_cases_queue ON support_cases (status, respond_by)",
            """
            CREATE TABLE support_case_messages (
                id TEXT PRIMARY KEY,
                case_id TEXT NOT NULL REFERENCES support_cases(id) ON DELETE CASCADE,
                author TEXT NOT NULL,
                staff_id TEXT,
                body TEXT NOT NULL,
                created_at BIGINT NOT NULL
            )
            """,
            "CREATE INDEX support_case_messages_case ON support_case_messages (case_id, created_at)",
            // The content is sealed under the document's own key, which is wrapped by the sealing key;
            // erasing both after the retention period leaves only the particulars.
            """
            CREATE TABLE support_case_documents (
                id TEXT PRIMARY KEY,
                case_id TEXT NOT NULL REFERENCES support_cases(id) ON DELETE CASCADE,
                kind TEXT NOT NULL,
                content_type TEXT NOT NULL,
                bytes BIGINT NOT NULL,
                uploaded_at BIGINT NOT NULL,
                wrapped_key BYTEA,
                content BYTEA,
                erased_at BIGINT
            )
            """,
            "CREATE INDEX support_case_documents_case ON support_case_documents (case_id, uploaded_at)",
        ]),
        Migration(version: 11, name: "support staff, their sessions, and actions on cases", statements: [
            """
            CREATE TABLE staff_members (
                id TEXT PRIMARY KEY,
                email TEXT NOT NULL UNIQUE,
                role TEXT NOT NULL,
                status TEXT NOT NULL,
                password_hash TEXT,
                sealed_secret TEXT,
                last_used_step BIGINT,
                created_at BIGINT NOT NULL
            )
            """,
            """
            CREATE TABLE staff_enrolments (
                token_hash TEXT PRIMARY KEY,
                staff_id TEXT NOT NULL REFERENCES staff_members(id) ON DELETE CASCADE,
                expires_at BIGINT NOT NULL,
                used_at BIGINT
            )
            """,
            "CREATE INDEX staff_enrolments_staff ON staff_enrolments (staff_id)",
            """
            CREATE TABLE staff_sessions (
                id TEXT PRIMARY KEY,
                staff_id TEXT NOT NULL REFERENCES staff_members(id) ON DELETE CASCADE,
                token_hash TEXT NOT NULL UNIQUE,
                created_at BIGINT NOT NULL,
                last_seen_at BIGINT NOT NULL,
                expires_at BIGINT NOT NULL
            )
            """,
            "CREATE INDEX staff_sessions_staff ON staff_sessions (staff_id)",
            """
            CREATE TABLE support_case_actions (
                id TEXT PRIMARY KEY,
                case_id TEXT NOT NULL REFERENCES support_cases(id) ON DELETE CASCADE,
                kind TEXT NOT NULL,
                reason TEXT NOT NULL,
                value TEXT,
                proposed_by TEXT NOT NULL REFERENCES staff_members(id),
                status TEXT NOT NULL,
                approved_by TEXT REFERENCES staff_members(id),
                created_at BIGINT NOT NULL,
                applied_at BIGINT
            )
            """,
            "CREATE INDEX support_case_actions_case ON support_case_actions (case_id, created_at)",
            "CREATE INDEX support_case_actions_status ON support_case_actions (status, created_at)",
        ]),
    ] + risk
}
