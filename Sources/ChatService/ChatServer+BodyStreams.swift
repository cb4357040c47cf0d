import ChatCore
import ChatTransport
import Foundation

/// Streamed answers: a `PagedBody` is read a page at a time on the blocking workers and each page is handed to
/// the transport's bounded stream (`WebSocketServer+HTTPStream.swift`) on the service thread. The next page is
/// read only when the transport has room (flow control): a slow client holds at most the low-water mark plus one
/// page in memory, and a client that leaves stops the reading (`didAbandon`). Service thread only.
extension ChatServer {
    /// Starts streaming `body` as the answer to `request`.
    func stream(_ request: HTTPRequest, status: Int = 200, contentType: String, headers: [String: String] = [:],
                body: PagedBody) {
        guard transport.beginStream(to: request.id, status: status, contentType: contentType, headers: headers) else { return }
        bodyStreams[request.id] = body
        produceNextPage(request.id)
    }

    public func transport(_ t: WebSocketServer, streamDidDrain requestID: UInt64) {
        produceNextPage(requestID)
    }

    private func produceNextPage(_ id: UInt64) {
        guard let body = bodyStreams[id] else { return }
        let accepted = workers.submit { [unowned self] in
            let result: Result<(bytes: [UInt8], isLast: Bool), any Error>
            do { result = .success(try body.nextPage()) } catch { result = .failure(error) }
            self.mailbox.post { self.deliverPage(id, result) }
        }
        if !accepted {
            logger.warning("stream aborted: the worker queue is full", metadata: ["http.request": "\(id)"])
            bodyStreams.removeValue(forKey: id)
            transport.abortStream(to: id)
        }
    }

    private func deliverPage(_ id: UInt64, _ result: Result<(bytes: [UInt8], isLast: Bool), any Error>) {
        guard bodyStreams[id] != nil else { return }  // the client left meanwhile
        switch result {
        case .failure(let error):
            logger.error("stream aborted: \(error)", metadata: ["http.request": "\(id)"])
            bodyStreams.removeValue(forKey: id)
            transport.abortStream(to: id)
        case .success(let page):
            switch transport.appendStream(to: id, page.bytes, isLast: page.isLast) {
            case .queued(let room):
                if page.isLast { bodyStreams.removeValue(forKey: id) } else if room { produceNextPage(id) }
            case .unknownRequest, .overflow:
                bodyStreams.removeValue(forKey: id)
            }
        }
    }
}
