import Hummingbird
import HummingbirdCore
import Logging
import NIOCore

/// Hummingbird's HTTP/1.1 channel with a ``ConnectionGuardHandler`` in front of it: connection
/// limits and the header timeout apply before any HTTP parsing, and the idle timeout closes
/// connections left silent between requests.
struct GuardedHTTP1Channel: ServerChildChannel {
    typealias Value = HTTP1Channel.Value

    let http: HTTP1Channel
    let limiter: ConnectionLimiter
    let headerTimeout: TimeAmount

    /// The channel for `responder`, closing connections idle for `idleTimeout`.
    init(responder: @escaping HTTPChannelHandler.Responder, limiter: ConnectionLimiter, headerTimeout: TimeAmount,
         idleTimeout: TimeAmount) {
        self.http = HTTP1Channel(responder: responder, configuration: .init(
            additionalChannelHandlers: [RequestProgressHandler()], idleTimeout: idleTimeout))
        self.limiter = limiter
        self.headerTimeout = headerTimeout
    }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let limiter = self.limiter, headerTimeout = self.headerTimeout
        return channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(ConnectionGuardHandler(limiter: limiter, headerTimeout: headerTimeout))
        }.flatMap {
            http.setup(channel: channel, logger: logger)
        }
    }

    func handle(value: Value, logger: Logger) async {
        await http.handle(value: value, logger: logger)
    }
}
