// libFuzzer target: a cluster bus message's bytes through its decoder (ClusterMessage.decode). Whatever decodes must
// encode back to the same bytes' meaning: decode(encode(m)) == m. Built only by Scripts/fuzz; see Fuzz/README.md.
@testable import ChatService

@_cdecl("LLVMFuzzerTestOneInput")
public func clusterWireFuzzer(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: data == nil ? 0 : size))
    guard let message = ClusterMessage.decode(bytes) else { return 0 }
    precondition(ClusterMessage.decode(message.encoded()) == message, "a decoded message does not round-trip")
    return 0
}
