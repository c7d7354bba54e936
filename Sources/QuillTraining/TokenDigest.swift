/// A digest of token ids that is the same in every process and on every machine (64-bit
/// FNV-1a over each id's eight bytes; Swift's `Hasher` is seeded afresh per process), so a
/// checkpoint can tell whether a resumed run validates on the text its best model was chosen on.
struct TokenDigest {
    private var state: UInt64 = 0xcbf2_9ce4_8422_2325

    /// Mixes in `ids`, in order.
    mutating func combine<Ids: Sequence>(_ ids: Ids) where Ids.Element: BinaryInteger {
        for id in ids {
            var bits = UInt64(truncatingIfNeeded: id)
            for _ in 0..<8 {
                state = (state ^ (bits & 0xFF)) &* 0x0000_0100_0000_01B3
                bits >>= 8
            }
        }
    }

    /// The digest so far, in hexadecimal.
    var hex: String { String(state, radix: 16) }

    /// The digest of sentences, each ended by a separator no id can take, so [[1, 2], [3]] and
    /// [[1], [2, 3]] differ.
    static func of(sentences: [[Int]]) -> String {
        var digest = TokenDigest()
        for sentence in sentences { digest.combine(sentence + [-1]) }
        return digest.hex
    }

    /// The digest of one token sequence.
    static func of<Ids: Sequence>(tokens: Ids) -> String where Ids.Element: BinaryInteger {
        var digest = TokenDigest()
        digest.combine(tokens)
        return digest.hex
    }
}
