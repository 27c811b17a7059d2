import NIOCore
import NIOHTTPTypes

/// What the HTTP side of a connection's pipeline tells its ``ConnectionGuardHandler``, sent as an
/// outbound user event from ``RequestProgressHandler``.
enum RequestProgress {
    /// A request's head (request line and headers) was read in full.
    case headReceived
    /// A response was written to its end.
    case responseFinished
}

/// Guards one connection at the front of its pipeline, where the raw bytes pass:
///
/// - a connection beyond ``ConnectionLimiter``'s limits is answered `503` with `Retry-After` and
///   closed at once, before it holds any memory of note;
/// - a request's head must arrive in full within `headerTimeout` of its first byte (and of the
///   connection opening), or the connection is answered `408` and closed, so that half-sent
///   requests cannot pile up. Silence between requests is the idle timeout's business.
final class ConnectionGuardHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let limiter: ConnectionLimiter
    private let headerTimeout: TimeAmount
    private var started = false
    private var admitted = false
    private var address: String?
    private var headsReceived = 0
    private var responsesFinished = 0
    private var headerDeadline: Scheduled<Void>?

    init(limiter: ConnectionLimiter, headerTimeout: TimeAmount) {
        self.limiter = limiter
        self.headerTimeout = headerTimeout
    }

    private static let busy = "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
    private static let tooSlow = "HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { start(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        start(context: context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        stop()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        stop()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard admitted else { return }
        // The first bytes of a new request start its head's clock.
        if headsReceived == responsesFinished && headerDeadline == nil { armHeaderDeadline(context: context) }
        context.fireChannelRead(data)
    }

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        guard let progress = event as? RequestProgress else {
            context.triggerUserOutboundEvent(event, promise: promise)
            return
        }
        switch progress {
        case .headReceived:
            headsReceived += 1
            headerDeadline?.cancel()
            headerDeadline = nil
        case .responseFinished:
            responsesFinished += 1
        }
        promise?.succeed(())
    }

    private func start(context: ChannelHandlerContext) {
        guard !started else { return }
        started = true
        address = context.channel.remoteAddress?.ipAddress
        guard limiter.admit(address) else {
            answerAndClose(Self.busy, context: context)
            return
        }
        admitted = true
        armHeaderDeadline(context: context)
    }

    private func stop() {
        headerDeadline?.cancel()
        headerDeadline = nil
        if admitted {
            admitted = false
            limiter.release(address)
        }
    }

    private func armHeaderDeadline(context: ChannelHandlerContext) {
        let loopBound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
        headerDeadline = context.eventLoop.scheduleTask(in: headerTimeout) {
            let (handler, context) = loopBound.value
            handler.headerDeadline = nil
            guard handler.admitted, handler.headsReceived == handler.responsesFinished else { return }
            handler.answerAndClose(Self.tooSlow, context: context)
        }
    }

    private func answerAndClose(_ response: String, context: ChannelHandlerContext) {
        let buffer = context.channel.allocator.buffer(string: response)
        context.writeAndFlush(wrapOutboundOut(buffer)).whenComplete { _ in context.close(promise: nil) }
    }
}

/// Tells the ``ConnectionGuardHandler`` at the front of the pipeline when a request's head has been
/// read and when a response has been written to its end; it sits after the HTTP codec, where
/// requests and responses are whole parts.
final class RequestProgressHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head = unwrapInboundIn(data) {
            context.triggerUserOutboundEvent(RequestProgress.headReceived, promise: nil)
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let finished: Bool
        if case .end = unwrapOutboundIn(data) { finished = true } else { finished = false }
        context.write(data, promise: promise)
        if finished { context.triggerUserOutboundEvent(RequestProgress.responseFinished, promise: nil) }
    }
}
