import ChatCore
import Foundation

/// Reads HTTP request bodies. Pure; safe from any thread. A body that is not a JSON object is `malformed_json`
/// (400) on every route, as a WebSocket frame is; a JSON object with a missing or ill-typed field is
/// `invalid_field`, decided by each route.
enum JSONBody {
    static func object(_ body: [UInt8]) throws(ChatError) -> [String: Any] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else {
            throw ChatError(.malformedJSON, "The request body must be a JSON object.")
        }
        return object
    }
}
