public import Foundation

/// A kind of flow as a type: its states, its `Codable` context, and the errors that say why a flow
/// of the kind cannot go on. Every kind loads and advances through ``FlowStore/load(_:as:in:accountId:now:)``
/// and ``FlowStore/advance(_:from:to:context:at:)``, so not-found, expired and completed flows are
/// answered the same way for every kind (each under its own stable codes).
public protocol FlowKind: Sendable {
    /// Where a flow of the kind stands.
    associatedtype State: RawRepresentable, Sendable, Equatable where State.RawValue == String
    /// What the flow remembers between steps (never a secret in clear).
    associatedtype Context: Codable, Sendable

    /// The stored kind.
    static var kind: Flow.Kind { get }
    /// The state a finished flow rests in.
    static var completedState: State { get }
    /// The errors a load that cannot go on gives.
    static var errors: FlowErrors { get }
    /// The error for a flow in `actual` when a step needs it in `expected`; by default, expired.
    static func wrongState(expected: State, actual: State) -> KeywardError
}

extension FlowKind {
    /// A flow found in another state than a step needs can no longer take that step.
    public static func wrongState(expected: State, actual: State) -> KeywardError { expired }
    /// No flow of this kind has the id (or it belongs to someone else).
    public static var notFound: KeywardError { errors.notFound }
    /// The flow ran out of time or was replaced.
    public static var expired: KeywardError { errors.expired }
    /// The flow already finished.
    public static var completed: KeywardError { errors.completed }
}

/// The three errors of a flow that cannot go on, one set per kind (kinds keep the codes their
/// clients already know).
public struct FlowErrors: Sendable {
    /// No such flow.
    public let notFound: KeywardError
    /// Ran out of time or was replaced.
    public let expired: KeywardError
    /// Already finished.
    public let completed: KeywardError

    /// `flow.not_found`, `flow.expired`, `flow.completed`: the errors of sign-in, re-authentication
    /// and contact-change flows.
    public static let flow = FlowErrors(notFound: .flowNotFound, expired: .flowExpired, completed: .flowCompleted)
}

/// A context with nothing in it.
public struct NoFlowContext: Codable, Sendable, Equatable {
    /// The empty context.
    public init() {}
}

/// A flow of kind `K`, loaded with its typed state and context.
public struct LoadedFlow<K: FlowKind>: Sendable {
    /// The stored record.
    public let record: Flow
    /// Where it stands.
    public let state: K.State
    /// What it remembers.
    public let context: K.Context

    /// The flow's id.
    public var id: String { record.id }
    /// The account it acts on.
    public var accountId: String? { record.accountId }
    /// The identifier it started with.
    public var identifier: Identifier? { record.identifier }
    /// When it began.
    public var createdAt: Date { record.createdAt }
    /// After this it can no longer advance.
    public var expiresAt: Date { record.expiresAt }
}

/// Values kept in a flow's context as one comma-separated string, as flows have always stored them.
public struct FlowList<Element: RawRepresentable & Sendable & Equatable>: Codable, Sendable, Equatable
where Element.RawValue == String {
    /// The values, in order; names no longer known are dropped when read.
    public var values: [Element]

    /// A list of `values`.
    public init(_ values: [Element]) { self.values = values }

    /// Reads the comma-separated names.
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        values = text.split(separator: ",").compactMap { Element(rawValue: String($0)) }
    }

    /// Writes the comma-separated names.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(values.map(\.rawValue).joined(separator: ","))
    }
}

extension FlowStore {
    /// Stores a new flow of kind `K` in `state` with `context`, and returns it loaded.
    public func start<K: FlowKind>(_ kind: K.Type, id: String, state: K.State, accountId: String?, identifier: Identifier?,
                                   at now: Date, lifetime: TimeInterval, context: K.Context,
                                   passwordHash: String? = nil) async throws -> LoadedFlow<K> {
        let record = Flow(id: id, kind: K.kind, state: state.rawValue, accountId: accountId, identifier: identifier,
                          createdAt: now, updatedAt: now, expiresAt: now.addingTimeInterval(lifetime),
                          context: try FlowContextCoding.encode(context), passwordHash: passwordHash)
        try await insert(record)
        return LoadedFlow(record: record, state: state, context: context)
    }

    /// The flow `id` of kind `K` if it is in `state`, not expired, and (when `accountId` is given)
    /// belongs to that account and satisfies `matching`. Otherwise throws the kind's error: not
    /// found (also for another kind's or account's flow), completed, expired (also for a context
    /// that can no longer be read), or the kind's answer for a flow in another state.
    public func load<K: FlowKind>(_ id: String, as kind: K.Type, in expected: K.State, accountId: String? = nil,
                                  matching: (Flow) -> Bool = { _ in true }, now: Date) async throws -> LoadedFlow<K> {
        guard let record = try await find(id: id), record.kind == K.kind,
              accountId == nil || record.accountId == accountId, matching(record)
        else { throw K.notFound }
        guard let state = K.State(rawValue: record.state) else { throw K.expired }
        if state == K.completedState && expected != K.completedState { throw K.completed }
        if record.expiresAt <= now { throw K.expired }
        if state != expected { throw K.wrongState(expected: expected, actual: state) }
        guard let context = try? FlowContextCoding.decode(K.Context.self, from: record.context) else { throw K.expired }
        return LoadedFlow(record: record, state: state, context: context)
    }

    /// The flow `id` of kind `K` in whatever state it is, for pages that show where it stands;
    /// throws the kind's not-found error.
    public func find<K: FlowKind>(_ id: String, as kind: K.Type) async throws -> LoadedFlow<K> {
        guard let record = try await find(id: id), record.kind == K.kind, let state = K.State(rawValue: record.state),
              let context = try? FlowContextCoding.decode(K.Context.self, from: record.context)
        else { throw K.notFound }
        return LoadedFlow(record: record, state: state, context: context)
    }

    /// The account's newest flow of kind `K` in `state`, or `nil` (also when its context can no
    /// longer be read).
    public func newest<K: FlowKind>(_ kind: K.Type, accountId: String, in state: K.State) async throws -> LoadedFlow<K>? {
        guard let record = try await newest(accountId: accountId, kind: K.kind, state: state.rawValue),
              let context = try? FlowContextCoding.decode(K.Context.self, from: record.context)
        else { return nil }
        return LoadedFlow(record: record, state: state, context: context)
    }

    /// Moves `flow` from `expected` to `newState`, replacing its context when one is given; throws
    /// `lost` (by default the kind's completed error) when a parallel request moved it first.
    @discardableResult
    public func advance<K: FlowKind>(_ flow: LoadedFlow<K>, from expected: K.State, to newState: K.State,
                                     context: K.Context? = nil, at now: Date,
                                     lost: KeywardError = K.completed) async throws -> LoadedFlow<K> {
        let text = try context.map(FlowContextCoding.encode) ?? flow.record.context
        guard try await transition(id: flow.id, from: expected.rawValue, to: newState.rawValue, at: now, context: text) else {
            throw lost
        }
        return LoadedFlow(record: flow.record.with(state: newState.rawValue, context: text, at: now), state: newState,
                          context: context ?? flow.context)
    }

    /// The account's flows still under way (not finished, replaced or expired), newest first: what
    /// support sees the person is in the middle of.
    public func open(accountId: String, now: Date) async throws -> [Flow] {
        let finished: Set<String> = ["completed", "superseded", "replaced"]
        return try await list(accountId: accountId, since: now.addingTimeInterval(-7 * 86400), limit: 50)
            .filter { $0.expiresAt > now && !finished.contains($0.state) }
    }

    /// Moves every other flow of kind `K` of the account that is in one of `states` to `newState`.
    public func supersede<K: FlowKind>(_ kind: K.Type, accountId: String, except id: String, from states: [K.State],
                                       to newState: K.State, at now: Date) async throws {
        for state in states {
            try await transitionOthers(accountId: accountId, kind: K.kind, except: id, from: state.rawValue,
                                       to: newState.rawValue, at: now)
        }
    }
}

/// The JSON text a flow's context is stored as.
enum FlowContextCoding {
    static func encode<C: Encodable>(_ context: C) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try encoder.encode(context), as: UTF8.self)
    }

    static func decode<C: Decodable>(_ type: C.Type, from text: String) throws -> C {
        try JSONDecoder().decode(type, from: Data((text.isEmpty ? "{}" : text).utf8))
    }
}
