import KeywardCore

/// The ``DeliveryFailure`` `operation` ends with; `nil` when it succeeds or throws anything else,
/// so that a sender leaking another error type fails the test's expectations.
func deliveryFailure(of operation: () async throws -> Void) async -> DeliveryFailure? {
    do {
        try await operation()
        return nil
    } catch {
        return error as? DeliveryFailure
    }
}
