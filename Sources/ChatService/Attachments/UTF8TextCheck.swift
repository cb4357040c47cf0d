/// Checks, chunk by chunk, that a whole upload is UTF-8 without NUL bytes (what the allow-list calls a text log),
/// without holding it in memory. Rejects bad lead and continuation bytes, overlong forms, surrogates and code
/// points above U+10FFFF; a sequence may be split across chunks. Pure value.
struct UTF8TextCheck {
    private(set) var isValid = true
    /// Continuation bytes still expected by the current sequence.
    private var pending = 0
    /// Allowed range of the next continuation byte (narrower right after E0, ED, F0, F4).
    private var low: UInt8 = 0x80
    private var high: UInt8 = 0xBF

    mutating func feed(_ bytes: some Sequence<UInt8>) {
        guard isValid else { return }
        for byte in bytes {
            if pending > 0 {
                guard byte >= low && byte <= high else { isValid = false; return }
                pending -= 1
                low = 0x80; high = 0xBF
                continue
            }
            switch byte {
            case 0x00: isValid = false; return
            case 0x01...0x7F: continue
            case 0xC2...0xDF: pending = 1
            case 0xE0: pending = 2; low = 0xA0
            case 0xE1...0xEC, 0xEE, 0xEF: pending = 2
            case 0xED: pending = 2; high = 0x9F
            case 0xF0: pending = 3; low = 0x90
            case 0xF1...0xF3: pending = 3
            case 0xF4: pending = 3; high = 0x8F
            default: isValid = false; return
            }
        }
    }

    /// True when every byte fed so far is valid and no sequence was left unfinished.
    var isComplete: Bool { isValid && pending == 0 }
}
