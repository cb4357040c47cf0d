/// A response body produced a page at a time (an export of a whole transcript or of every transcript of a filter).
///
/// Threading: `nextPage` runs on a blocking worker, never on the service thread, and never twice at once for one
/// body: the next page is asked for only after the previous one was handed to the transport
/// (`ChatServer+BodyStreams.swift`). Implementations keep their position in plain stored properties; that
/// one-job-at-a-time handover is why they may be `@unchecked Sendable`.
protocol PagedBody: AnyObject, Sendable {
    /// The next part of the body; `isLast` when nothing follows. Errors abort the response (truncated body).
    func nextPage() throws -> (bytes: [UInt8], isLast: Bool)
}
