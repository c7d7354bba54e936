import QuillText

/// Byte-level BPE, as `quill tokenize` and the GPT trainer and sampler use it.
///
/// Properties: for any bytes, encoding then decoding gives the bytes back, and the tokens' byte
/// ranges tile the input in order; for valid UTF-8 the same holds through `encode(_:)` on a
/// `String`, and decoding it with the streaming decoder one id at a time gives the text with no
/// U+FFFD of its own. For any id sequence (the input read as 16-bit ids, some out of range),
/// the streaming decoder emits only valid UTF-8, holds back at most 3 bytes, and its pieces join
/// to exactly what decoding the whole sequence at once gives.
enum ByteLevelBPETarget: FuzzTarget {
    static let name = "bpe"

    /// Trained once on text in several scripts, so merges span multi-byte characters.
    static let tokenizer: ByteLevelBPE = {
        let texts = [
            "In the beginning God created the heaven and the earth. And the earth was without form, and void.",
            "Ἐν ἀρχῇ ἦν ὁ λόγος, καὶ ὁ λόγος ἦν πρὸς τὸν θεόν. В начале было Слово, и Слово было у Бога.",
            "春眠不覺曉，處處聞啼鳥。夜來風雨聲，花落知多少。 東京は日本の首都です。",
            "emoji 👩‍👩‍👧 ✨🎉 🇫🇷 and combining e\u{301}e\u{301} a\u{308}\r\n\ttabs  and   spaces 1234567890",
        ]
        do {
            return try ByteLevelBPE.train(texts: Array(repeating: texts, count: 3).flatMap { $0 }, vocabularySize: 420,
                                          specialTokens: ["<pad>", "<unk>", "<eos>"], minFrequency: 1, threads: 1)
        } catch {
            FuzzFailure.exit("cannot train the BPE tokenizer: \(error)")
        }
    }()

    static func run(_ bytes: [UInt8]) {
        checkBytesRoundTrip(bytes)
        if let text = String(validating: bytes, as: UTF8.self) { checkTextRoundTrip(text) }
        checkStreamingDecode(ids(in: bytes))
    }

    private static func checkBytesRoundTrip(_ bytes: [UInt8]) {
        let ids = tokenizer.encode(bytes: bytes)
        FuzzFailure.require(tokenizer.decodedBytes(ids) == bytes, "decode(encode(bytes)) is not the bytes")
        var encoder = tokenizer.makeEncoder()
        let tokens = bytes.withUnsafeBufferPointer { encoder.encodeWithOffsets(bytes: $0) }
        FuzzFailure.require(tokens.map { Int32($0.id) } == ids, "encodeWithOffsets gives other ids than encode")
        var end = 0
        for token in tokens {
            FuzzFailure.require(token.byteRange.lowerBound == end && token.byteRange.upperBound <= bytes.count,
                                "byte range \(token.byteRange) does not follow \(end) inside \(bytes.count) bytes")
            FuzzFailure.require(tokenizer.tokenBytes(for: token.id).map(Array.init) == Array(bytes[token.byteRange]),
                                "token \(token.id) does not spell the bytes \(token.byteRange) it covers")
            end = token.byteRange.upperBound
        }
        FuzzFailure.require(end == bytes.count, "the tokens cover \(end) of \(bytes.count) bytes")
    }

    private static func checkTextRoundTrip(_ text: String) {
        let ids = tokenizer.encode(text)
        FuzzFailure.require(tokenizer.decode(ids) == text, "decode(encode(text)) is not the text")
        var stream = tokenizer.makeStreamingDecoder()
        var shown = ""
        for id in ids {
            let piece = stream.feed(id)
            FuzzFailure.require(!piece.unicodeScalars.contains("\u{FFFD}") || text.unicodeScalars.contains("\u{FFFD}"),
                                "the streaming decoder showed U+FFFD for valid text")
            shown += piece
        }
        shown += stream.flush()
        FuzzFailure.require(shown == text, "streaming decode of encode(text) is not the text")
    }

    private static func checkStreamingDecode(_ ids: [Int]) {
        var stream = tokenizer.makeStreamingDecoder()
        var shown: [UInt8] = []
        for id in ids {
            let piece = Array(stream.feed(id).utf8)
            FuzzFailure.require(String(validating: piece, as: UTF8.self) != nil, "the streaming decoder emitted invalid UTF-8")
            FuzzFailure.require(stream.pendingByteCount <= 3, "the streaming decoder holds \(stream.pendingByteCount) bytes")
            shown += piece
        }
        shown += Array(stream.flush().utf8)
        FuzzFailure.require(stream.pendingByteCount == 0, "flush left bytes held back")
        let whole = Array(tokenizer.decode(ids, keepingSpecials: false).utf8)
        FuzzFailure.require(shown == whole, "streamed pieces \(shown) differ from the whole decode \(whole)")
    }

    /// The input as little-endian 16-bit ids, spread a little past the vocabulary and below zero.
    private static func ids(in bytes: [UInt8]) -> [Int] {
        stride(from: 0, to: bytes.count - 1, by: 2).map { i in
            Int(UInt16(bytes[i]) | UInt16(bytes[i + 1]) << 8) % (tokenizer.vocabularySize + 16) - 2
        }
    }
}
