// libFuzzer target: a WebSocket text frame's bytes through the client-frame decoder (WireDecoding.decode).
// Built only by Scripts/fuzz (CHATD_FUZZ=1, -sanitize=fuzzer); see Fuzz/README.md.
@testable import ChatService
import ChatCore

@_cdecl("LLVMFuzzerTestOneInput")
public func wireDecodingFuzzer(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: data == nil ? 0 : size)
    let decoded = WireDecoding.decode(bytes)
    // The fast path (FlatJSONObject) must answer exactly as JSONSerialization does, or leave the frame to it.
    precondition(decoded == WireDecoding.decode(bytes, fastPath: false), "the fast path and JSONSerialization disagree")
    guard case .success(let frame) = decoded else { return 0 }
    // Whatever is accepted must be storable exactly as shown (issue 9, item 8).
    if case .command(let command) = frame {
        switch command {
        case .sendMessage(_, let clientID, let text):
            precondition(!text.hasDisallowedControlCharacters && !clientID.hasDisallowedControlCharacters)
        case .requestChat(let product, let subject, let first, let clientID, _, let zone):
            precondition(![product, subject, first, clientID, zone ?? ""].contains(where: \.hasDisallowedControlCharacters))
        default: break
        }
    }
    return 0
}
