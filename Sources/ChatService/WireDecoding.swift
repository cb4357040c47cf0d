import ChatCore
import Foundation

/// A decoded client frame: either the hello that authenticates, a keepalive, or an engine command.
enum ClientFrame: Equatable {
    case hello(token: String)
    case ping(nonce: String?)
    case command(ClientCommand)
}

/// A frame that could not be decoded, with the client id it carried (if any) to echo as `ref`.
struct DecodingFailure: Error, Equatable {
    var code: ChatErrorCode
    var message: String
    var ref: String?
}

/// Decodes client JSON frames. Pure; safe from any thread.
enum WireDecoding {
    static let maxClientIDLength = 64

    /// Decodes one frame. `fastPath: false` skips `FlatJSONObject` (the differential tests compare both paths).
    static func decode(_ bytes: UnsafeRawBufferPointer, fastPath: Bool = true) -> Result<ClientFrame, DecodingFailure> {
        let fields: [String: WireValue]
        if fastPath, let flat = FlatJSONObject.parse(bytes) {
            fields = flat
        } else {
            let object: Any
            do {
                object = try JSONSerialization.jsonObject(with: Data(bytes), options: [])
            } catch {
                return .failure(DecodingFailure(code: .malformedJSON, message: "The frame is not valid JSON.", ref: nil))
            }
            guard let dictionary = object as? [String: Any] else {
                return .failure(DecodingFailure(code: .malformedJSON, message: "A frame must be a JSON object.", ref: nil))
            }
            fields = dictionary.mapValues(wireValue)
        }
        let ref: String?
        if case .string(let clientID) = fields["clientId"] { ref = clientID } else { ref = nil }
        do {
            return .success(try frame(Fields(fields)))
        } catch let failure as DecodingFailure {
            return .failure(DecodingFailure(code: failure.code, message: failure.message, ref: ref))
        } catch {
            return .failure(DecodingFailure(code: .invalidField, message: "\(error)", ref: ref))
        }
    }

    /// A `JSONSerialization` value as a `WireValue`.
    static func wireValue(_ value: Any) -> WireValue {
        if value is NSNull { return .null }
        if let string = value as? String { return .string(string) }
        if isBoolean(value), let flag = value as? Bool { return .bool(flag) }
        if let number = value as? NSNumber { return .number(number.doubleValue) }
        return .nested
    }

    private static func frame(_ f: Fields) throws -> ClientFrame {
        guard case .string(let type) = f.raw["type"] else {
            throw DecodingFailure(code: .invalidField, message: "Field \"type\" (a string) is required.")
        }
        switch type {
        case "hello": return .hello(token: try f.string("token", max: 8192, allowEmpty: true))
        case "ping":
            if case .string(let nonce) = f.raw["nonce"] { return .ping(nonce: nonce) }
            return .ping(nonce: nil)
        case "request_chat":
            return .command(.requestChat(productID: try f.string("product", max: 64),
                                         subject: try f.string("subject", max: 1000),
                                         firstMessage: try f.string("text", max: 100_000),
                                         clientID: try f.clientID(),
                                         urgent: try f.optionalBool("urgent") ?? false,
                                         timeZone: try f.optionalString("timeZone", max: 64)))
        case "send":
            return .command(.sendMessage(sessionID: try f.int("sessionId"), clientID: try f.clientID(),
                                         text: try f.string("text", max: 100_000)))
        case "note":
            return .command(.addNote(sessionID: try f.int("sessionId"), clientID: try f.clientID(),
                                     text: try f.string("text", max: 100_000)))
        case "typing": return .command(.typing(sessionID: try f.int("sessionId"), active: try f.bool("active")))
        case "read": return .command(.markRead(sessionID: try f.int("sessionId"), seq: try f.int("seq")))
        case "sync": return .command(.sync(sessionID: try f.int("sessionId"), afterSeq: try f.int("afterSeq", min: 0)))
        case "set_status":
            let raw = try f.string("status", max: 16)
            guard let status = AgentStatus(rawValue: raw) else {
                throw DecodingFailure(code: .invalidField, message: "Field \"status\" must be available, away or offline.")
            }
            return .command(.setStatus(status))
        case "take": return .command(.take(sessionID: try f.int("sessionId")))
        case "transfer": return .command(.transfer(sessionID: try f.int("sessionId"), toAgent: try f.int("toAgent")))
        case "close": return .command(.close(sessionID: try f.int("sessionId")))
        case "respond_offer":
            return .command(.respondToOffer(sessionID: try f.int("sessionId"), accept: try f.bool("accept")))
        case "continue_chat": return .command(.continueChat(sessionID: try f.int("sessionId")))
        case "convert":
            let category = try f.optionalString("category", max: 16) ?? TicketCategory.request.rawValue
            guard let parsed = TicketCategory(rawValue: category) else {
                throw DecodingFailure(code: .invalidField, message: "Field \"category\" must be request or incident.")
            }
            return .command(.convert(sessionID: try f.int("sessionId"), category: parsed,
                                     severity: Int(try f.optionalInt("severity") ?? 3), urgent: try f.optionalBool("urgent") ?? false))
        case "propose_services":
            return .command(.proposeServices(sessionID: try f.int("sessionId"), rateID: try f.string("rate", max: 64),
                                             description: try f.string("description", max: 2000),
                                             estimateHours: try f.number("estimateHours")))
        case "respond_services":
            return .command(.respondToServices(sessionID: try f.int("sessionId"), accept: try f.bool("accept")))
        default:
            throw DecodingFailure(code: .unknownType, message: "Unknown message type \"\(type)\".")
        }
    }

    /// The refusal of a text field holding a control character other than tab, LF and CR (docs/PROTOCOL.md §5).
    static func controlCharacterMessage(_ name: String) -> String {
        "Field \"\(name)\" contains a control character (only tab, line feed and carriage return are allowed)."
    }

    /// Whether a JSONSerialization value was a JSON true/false (not a number).
    static func isBoolean(_ value: Any) -> Bool {
        // On Linux JSON booleans decode as NSNumber with objCType "c"; numbers never do.
        guard let number = value as? NSNumber else { return value is Bool }
        return String(cString: number.objCType) == "c"
    }

    /// Typed access to a decoded object, with errors that name the field.
    private struct Fields {
        let raw: [String: WireValue]
        init(_ raw: [String: WireValue]) { self.raw = raw }

        func string(_ name: String, max: Int, allowEmpty: Bool = false) throws -> String {
            guard case .string(let value) = raw[name] else {
                throw DecodingFailure(code: .invalidField, message: "Field \"\(name)\" (a string) is required.")
            }
            if !allowEmpty && value.isEmpty {
                throw DecodingFailure(code: .invalidField, message: "Field \"\(name)\" must not be empty.")
            }
            if value.hasDisallowedControlCharacters {
                throw DecodingFailure(code: .invalidField, message: WireDecoding.controlCharacterMessage(name))
            }
            // The byte count bounds the scalar count: walk the scalars only for long strings.
            if value.utf8.count > max * 4 || (value.utf8.count > max && value.unicodeScalars.count > max) {
                throw DecodingFailure(code: name == "text" ? .messageTooLong : .invalidField,
                                      message: "Field \"\(name)\" is too long.")
            }
            return value
        }

        func clientID() throws -> String {
            try string("clientId", max: WireDecoding.maxClientIDLength)
        }

        /// An integer (a JSON number with no fraction; booleans, fractions and strings are refused).
        func int(_ name: String, min: Int64 = 1) throws -> Int64 {
            guard case .number(let number) = raw[name], let value = Int64(exactly: number), value >= min else {
                throw DecodingFailure(code: .invalidField, message: "Field \"\(name)\" must be an integer ≥ \(min).")
            }
            return value
        }

        private func isAbsent(_ name: String) -> Bool {
            switch raw[name] {
            case nil, .null?: return true
            default: return false
            }
        }

        func optionalString(_ name: String, max: Int) throws -> String? {
            isAbsent(name) ? nil : try string(name, max: max)
        }

        func optionalBool(_ name: String) throws -> Bool? {
            isAbsent(name) ? nil : try bool(name)
        }

        func optionalInt(_ name: String) throws -> Int64? {
            isAbsent(name) ? nil : try int(name)
        }

        /// A finite JSON number (integers and fractions).
        func number(_ name: String) throws -> Double {
            guard case .number(let number) = raw[name], number.isFinite else {
                throw DecodingFailure(code: .invalidField, message: "Field \"\(name)\" must be a number.")
            }
            return number
        }

        func bool(_ name: String) throws -> Bool {
            guard case .bool(let value) = raw[name] else {
                throw DecodingFailure(code: .invalidField, message: "Field \"\(name)\" must be true or false.")
            }
            return value
        }
    }
}
