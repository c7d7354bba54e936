/// GPT-2's reversible map between the 256 byte values and 256 printable Unicode scalars.
///
/// Byte-level BPE files (GPT-2's `vocab.json`, Hugging Face's `tokenizer.json`) spell every token
/// as a string of these stand-in scalars, one per byte, so that tokens holding control bytes,
/// spaces or partial UTF-8 sequences still print. Printable Latin-1 bytes stand for themselves;
/// the other 68 bytes take the scalars from U+0100 on, in byte order (space → "Ġ", "\n" → "Ċ").
public enum ByteLevelAlphabet {
    /// The stand-in scalar of each byte value, indexed by the byte.
    public static let scalars: [Unicode.Scalar] = {
        var result = [Unicode.Scalar](repeating: " ", count: 256)
        var next: UInt32 = 256
        for byte in 0..<256 {
            if isPrintable(byte) {
                result[byte] = Unicode.Scalar(UInt32(byte))!
            } else {
                result[byte] = Unicode.Scalar(next)!
                next += 1
            }
        }
        return result
    }()

    /// The byte each stand-in scalar encodes, indexed by scalar value (0..<324); 0xFFFF where none.
    private static let bytesByScalar: [UInt16] = {
        var table = [UInt16](repeating: 0xFFFF, count: 324)
        for (byte, scalar) in scalars.enumerated() { table[Int(scalar.value)] = UInt16(byte) }
        return table
    }()

    /// Whether GPT-2 keeps `byte` as its own Latin-1 scalar ("!"..."~", "¡"..."¬", "®"..."ÿ").
    private static func isPrintable(_ byte: Int) -> Bool {
        (0x21...0x7E).contains(byte) || (0xA1...0xAC).contains(byte) || (0xAE...0xFF).contains(byte)
    }

    /// The stand-in spelling of `bytes`, such as "Ġworld" for " world".
    public static func spelling<C: Collection>(of bytes: C) -> String where C.Element == UInt8 {
        var text = String.UnicodeScalarView()
        for byte in bytes { text.append(scalars[Int(byte)]) }
        return String(text)
    }

    /// The bytes a stand-in spelling encodes, or nil if it holds a scalar outside the alphabet.
    public static func bytes(ofSpelling spelling: String) -> [UInt8]? {
        var result: [UInt8] = []
        result.reserveCapacity(spelling.utf8.count)
        for scalar in spelling.unicodeScalars {
            let value = Int(scalar.value)
            guard value < bytesByScalar.count, bytesByScalar[value] != 0xFFFF else { return nil }
            result.append(UInt8(bytesByScalar[value]))
        }
        return result
    }
}
