extension ByteLevelBPE {
    /// Decodes ids as they are generated, showing only complete characters.
    ///
    /// A byte-level token can end in the middle of a multi-byte character ("中" is three bytes, often
    /// two tokens). Decoding each token alone would show U+FFFD, then the rest of the character
    /// garbled; this decoder holds back the bytes of an unfinished character until the ids that
    /// complete it arrive. Bytes that can never form a character (invalid UTF-8) are shown as U+FFFD
    /// at once rather than held.
    ///
    ///     var stream = tokenizer.makeStreamingDecoder()
    ///     for id in ids { print(stream.feed(id), terminator: "") }
    ///     print(stream.flush())
    public struct StreamingDecoder: Sendable {
        /// The tokenizer whose ids are decoded.
        public let tokenizer: ByteLevelBPE
        /// Whether special tokens are shown.
        public let keepingSpecials: Bool
        private var pending: [UInt8] = []

        /// A decoder with nothing held back.
        public init(_ tokenizer: ByteLevelBPE, keepingSpecials: Bool = false) {
            self.tokenizer = tokenizer
            self.keepingSpecials = keepingSpecials
        }

        /// The number of bytes held back (0 to 3).
        public var pendingByteCount: Int { pending.count }

        /// Adds one id; returns the text completed by it (maybe empty).
        public mutating func feed(_ id: Int) -> String {
            feed(CollectionOfOne(id))
        }

        /// Adds `ids`; returns the text completed by them (maybe empty).
        public mutating func feed<C: Collection>(_ ids: C) -> String where C.Element: BinaryInteger {
            pending += tokenizer.decodedBytes(ids, keepingSpecials: keepingSpecials)
            let complete = Self.completePrefixLength(pending)
            guard complete > 0 else { return "" }
            let text = String(decoding: pending[..<complete], as: UTF8.self)
            pending.removeFirst(complete)
            return text
        }

        /// Returns what is held back (an unfinished character as U+FFFD) and empties the decoder.
        public mutating func flush() -> String {
            defer { pending.removeAll() }
            return String(decoding: pending, as: UTF8.self)
        }

        /// The length of `bytes` without a trailing unfinished (but so far valid) UTF-8 sequence.
        static func completePrefixLength(_ bytes: [UInt8]) -> Int {
            var lead = bytes.count - 1
            while lead >= 0 && bytes.count - lead < 4 && bytes[lead] & 0xC0 == 0x80 { lead -= 1 }
            guard lead >= 0 else { return bytes.count }
            let needed: Int
            switch bytes[lead] {
            case 0xC2...0xDF: needed = 2
            case 0xE0...0xEF: needed = 3
            case 0xF0...0xF4: needed = 4
            default: return bytes.count
            }
            let have = bytes.count - lead
            guard have < needed, have < 2 || isValidSecondByte(bytes[lead + 1], after: bytes[lead]) else {
                return bytes.count
            }
            return lead
        }

        /// Whether `byte` may follow `lead` in well-formed UTF-8 (no overlongs, surrogates, or > U+10FFFF).
        private static func isValidSecondByte(_ byte: UInt8, after lead: UInt8) -> Bool {
            switch lead {
            case 0xE0: return (0xA0...0xBF).contains(byte)
            case 0xED: return (0x80...0x9F).contains(byte)
            case 0xF0: return (0x90...0xBF).contains(byte)
            case 0xF4: return (0x80...0x8F).contains(byte)
            default: return (0x80...0xBF).contains(byte)
            }
        }
    }

    /// A streaming decoder for this tokenizer.
    public func makeStreamingDecoder(keepingSpecials: Bool = false) -> StreamingDecoder {
        StreamingDecoder(self, keepingSpecials: keepingSpecials)
    }
}
