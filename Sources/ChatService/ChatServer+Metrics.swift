import ChatCore
import ChatTransport
import Foundation

/// `GET /metrics`: the Prometheus text format. Answered to `Authorization: Bearer <metricsToken>` (configuration,
/// for the scraper) or a supervisor's session token; 401/403 otherwise. Built on the service thread from counters
/// it owns (no database work).
extension ChatServer {
    func serveMetrics(_ request: HTTPRequest) {
        if let expected = config.metricsToken, let token = bearerToken(request),
           Crypto.constantTimeEquals(Array(token.utf8), Array(expected.utf8)) {
            return respond(request, metricsResponse())
        }
        authenticate(request) { server, principal in
            guard case .staff(let staff) = principal, staff.role == .supervisor else {
                return server.respond(request, HTTPReplies.error(.forbidden, "Metrics need the metrics token or a supervisor."))
            }
            server.respond(request, server.metricsResponse())
        }
    }

    func metricsResponse() -> HTTPResponse {
        var text = PrometheusText()
        let roles = engine.connectionCountsByRole()
        var connections = roles.mapValues(Double.init)
        connections["unauthenticated"] = Double(max(0, transport.connectionCount - roles.values.reduce(0, +)))
        text.labelled("chatd_connections", "gauge", "WebSocket connections by role.", label: "role", connections)
        text.labelled("chatd_open_chats", "gauge", "Open chats by state.", label: "state",
                      engine.openChatCountsByState().mapValues(Double.init))
        text.single("chatd_queue_length", "gauge", "Chats waiting in the queue.", Double(engine.queuedSessionIDs.count))
        let oldest = engine.oldestQueuedAt.map { max(0, clock.now().timeIntervalSince($0)) } ?? 0
        text.single("chatd_queue_oldest_wait_seconds", "gauge", "How long the chat at the front of the queue has waited.", oldest)
        text.single("chatd_frames_received_total", "counter", "WebSocket text frames received.", Double(metrics.framesIn))
        text.single("chatd_frames_sent_total", "counter", "Frames queued to connections.", Double(metrics.framesSent))
        text.single("chatd_events_delivered_total", "counter", "Events delivered to connections (as event or ack).",
                    Double(metrics.eventsDelivered))
        text.labelled("chatd_refusals_total", "counter", "Requests refused, by error code.", label: "code",
                      metrics.refusalsByCode.mapValues(Double.init))
        text.single("chatd_commits_total", "counter", "SQLite transactions committed by the writer.", Double(metrics.commits))
        text.single("chatd_committed_writes_total", "counter", "Writes committed.", Double(metrics.committedWrites))
        text.histogram("chatd_commit_seconds", "Time to commit one batch (fsync included).", metrics.commitLatency)
        text.histogram("chatd_commit_batch_size", "Writes per committed batch.", metrics.batchSizes)
        text.single("chatd_writer_queue", "gauge", "Writes waiting for the writer.", Double(writer.queuedCount))
        text.single("chatd_storage_failing", "gauge", "1 while storage refuses writes (disk full, I/O errors).",
                    writer.failure == nil ? 0 : 1)
        text.single("chatd_history_reads_total", "counter", "Pages of history read for replays.", Double(metrics.historyReads))
        text.labelled("chatd_logins_total", "counter", "Staff login attempts by outcome.", label: "outcome",
                      metrics.logins.mapValues(Double.init))
        var webhooks: [String: Double] = ["delivered": 0, "failed_attempt": 0, "gave_up": 0]
        for (kind, count) in onCallOutbox?.outcomeCounts() ?? [:] { webhooks[kind] = Double(count) }
        text.labelled("chatd_oncall_webhook_outcomes_total", "counter",
                      "On-call webhook attempts and verdicts: delivered, failed_attempt (retried or not), gave_up.",
                      label: "outcome", webhooks)
        text.single("chatd_hello_timeouts_total", "counter", "Connections closed for not sending hello in time.",
                    Double(metrics.helloTimeouts))
        return HTTPResponse(status: 200, contentType: "text/plain; version=0.0.4; charset=utf-8", body: Array(text.text.utf8))
    }
}
