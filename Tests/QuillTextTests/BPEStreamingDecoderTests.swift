import Testing
@testable import QuillText

@Suite struct BPEStreamingDecoderTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let text: String
        var testDescription: String { name }
    }

    static let cases = [
        Case(name: "Chinese", text: "中文分词很难，因为句子之间没有空格。"),
        Case(name: "Japanese", text: "日本語のテキスト：東京は大きい都市です。"),
        Case(name: "emoji ZWJ family", text: "👨‍👩‍👧‍👦 and 👍🏽 and 🏳️‍🌈"),
        Case(name: "Arabic", text: "مرحبا بالعالم"),
        Case(name: "combining marks", text: "e\u{301}te\u{301} n\u{303}o"),
    ]

    /// Feeding one byte-token at a time (the worst split) never shows U+FFFD and gives the text back.
    @Test(arguments: cases)
    func neverShowsHalfACharacter(_ c: Case) throws {
        let tokenizer = try loadBPETokenizer(from: BPEFixture.path("quill_trained.tokenizer.json"))
        let byteIds = Array(c.text.utf8).map { tokenizer.encode(bytes: [$0])[0] }
        for ids in [tokenizer.encode(c.text).map(Int32.init), byteIds] {
            var stream = tokenizer.makeStreamingDecoder()
            var shown = ""
            for id in ids {
                let piece = stream.feed(Int(id))
                #expect(!piece.unicodeScalars.contains("\u{FFFD}"))
                #expect(stream.pendingByteCount < 4)
                shown += piece
            }
            shown += stream.flush()
            #expect(shown == c.text)
        }
    }

    @Test func flushShowsAnUnfinishedCharacterAsReplacement() throws {
        let tokenizer = try loadBPETokenizer(from: BPEFixture.path("quill_trained.tokenizer.json"))
        var stream = tokenizer.makeStreamingDecoder()
        let firstTwoBytesOfZhong = tokenizer.encode(bytes: [0xE4, 0xB8])
        #expect(stream.feed(firstTwoBytesOfZhong) == "")
        #expect(stream.pendingByteCount == 2)
        #expect(stream.flush() == "\u{FFFD}")
        #expect(stream.pendingByteCount == 0)
    }

    @Test func invalidBytesAreNotHeldBack() throws {
        let tokenizer = try loadBPETokenizer(from: BPEFixture.path("quill_trained.tokenizer.json"))
        var stream = tokenizer.makeStreamingDecoder()
        // 0xE0 0x80 can never start a character (overlong), so it shows at once.
        #expect(stream.feed(tokenizer.encode(bytes: [0x61, 0xE0, 0x80])) == "a\u{FFFD}\u{FFFD}")
        #expect(stream.pendingByteCount == 0)
    }

    @Test func specialsAreShownOnlyWhenAsked() throws {
        let tokenizer = try loadBPETokenizer(from: BPEFixture.path("quill_trained.tokenizer.json"))
        var plain = tokenizer.makeStreamingDecoder()
        var keeping = tokenizer.makeStreamingDecoder(keepingSpecials: true)
        let ids = tokenizer.encode("ok") + [3]
        #expect(plain.feed(ids) == "ok")
        #expect(keeping.feed(ids) == "ok<eos>")
    }
}
