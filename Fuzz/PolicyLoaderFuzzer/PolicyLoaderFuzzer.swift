// libFuzzer target: the support policy loader (JSON -> validated SupportPolicy), then what the server does with a
// loaded policy at start: a support calendar per region, asked when it opens and how business time adds up.
// Built only by Scripts/fuzz (CHATD_FUZZ=1, -sanitize=fuzzer); see Fuzz/README.md.
@testable import ChatService
import ChatCore
import Foundation

private let instants = [Date(timeIntervalSince1970: 1_795_000_000), Date(timeIntervalSince1970: 1_830_000_000)]

@_cdecl("LLVMFuzzerTestOneInput")
public func policyLoaderFuzzer(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Data(UnsafeBufferPointer(start: data, count: data == nil ? 0 : size))
    guard let policy = try? PolicyLoader.decode(bytes, source: "fuzz") else { return 0 }
    // A policy that loads must also pass validation on its own.
    do { try PolicyLoader.validate(policy) } catch { preconditionFailure("decoded policy fails validation: \(error)") }
    for region in policy.regions {
        guard let calendar = try? SupportCalendar(region: region) else { continue }
        for instant in instants {
            _ = calendar.isOpen(at: instant)
            _ = calendar.nextOpening(atOrAfter: instant)
            _ = calendar.closing(after: instant)
            _ = calendar.addingBusinessTime(8 * 3600, to: instant)
        }
    }
    return 0
}
