/// Checks raw bytes for well-formed UTF-8 (Unicode 15.0, table 3-7), reporting where it first fails.
public enum UTF8Validation {
    /// The offset of the first byte that does not start or continue a well-formed UTF-8 sequence,
    /// or `nil` when all of `bytes` is valid.
    ///
    /// Surrogates (ED A0–BF), overlong forms and code points above U+10FFFF are invalid, as is a
    /// sequence cut off by the end of `bytes`.
    public static func firstInvalidOffset(in bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        let n = bytes.count
        var i = 0
        while i < n {
            i = UTF8Bytes.firstNonASCII(in: bytes, from: i)
            guard i < n else { return nil }
            let length = sequenceLength(at: i, in: bytes)
            if length == 0 { return i }
            i += length
        }
        return nil
    }

    /// The offset of the first NUL byte, or `nil`; text corpora never contain NUL, binary files almost always do.
    public static func firstNUL(in bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        guard let base = bytes.baseAddress else { return nil }
        let raw = UnsafeRawPointer(base)
        var i = 0
        while i + 8 <= bytes.count {
            let word = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            // Sets a byte's high bit exactly when some byte of `word` is zero (Hacker's Delight 6-1).
            if (word &- 0x0101_0101_0101_0101) & ~word & 0x8080_8080_8080_8080 != 0 { break }
            i += 8
        }
        while i < bytes.count {
            if base[i] == 0 { return i }
            i += 1
        }
        return nil
    }

    /// Decodes `bytes`, replacing each maximal invalid subsequence with U+FFFD as the Unicode
    /// standard recommends; valid input comes back unchanged.
    public static func repairing(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        String(decoding: bytes, as: UTF8.self)
    }

    /// The length of the well-formed non-ASCII sequence at `i`, or 0 if it is ill-formed.
    private static func sequenceLength(at i: Int, in bytes: UnsafeBufferPointer<UInt8>) -> Int {
        let n = bytes.count
        let b0 = bytes[i]
        func continuation(_ k: Int, _ range: ClosedRange<UInt8> = 0x80...0xBF) -> Bool {
            i + k < n && range.contains(bytes[i + k])
        }
        switch b0 {
        case 0xC2...0xDF:
            return continuation(1) ? 2 : 0
        case 0xE0:
            return continuation(1, 0xA0...0xBF) && continuation(2) ? 3 : 0
        case 0xE1...0xEC, 0xEE...0xEF:
            return continuation(1) && continuation(2) ? 3 : 0
        case 0xED:
            return continuation(1, 0x80...0x9F) && continuation(2) ? 3 : 0
        case 0xF0:
            return continuation(1, 0x90...0xBF) && continuation(2) && continuation(3) ? 4 : 0
        case 0xF1...0xF3:
            return continuation(1) && continuation(2) && continuation(3) ? 4 : 0
        case 0xF4:
            return continuation(1, 0x80...0x8F) && continuation(2) && continuation(3) ? 4 : 0
        default:
            return 0
        }
    }
}
