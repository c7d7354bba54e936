import QuillText
import Testing

@Suite struct PreTokenizerTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var kind: TokenizerKind
        var text: String
        var pieces: [String]
        var testDescription: String { name }
    }

    static let cases = [
        Case(name: "word: one space glues to the next word", kind: .word, text: "Hello, big world!",
             pieces: ["Hello", ",", " big", " world", "!"]),
        Case(name: "word: extra spaces, tabs and newlines are pieces", kind: .word, text: "a  b\t c\nd\r\n e",
             pieces: ["a", " ", " b", "\t", " c", "\n", "d", "\r\n", " e"]),
        Case(name: "word: leading and trailing spaces", kind: .word, text: " x ", pieces: [" x", " "]),
        Case(name: "word: space before punctuation glues too", kind: .word, text: "a , b", pieces: ["a", " ,", " b"]),
        Case(name: "word: Chinese by dictionary", kind: .word, text: "我爱中文分词", pieces: ["我", "爱", "中文", "分词"]),
        Case(name: "word: emoji sequences whole", kind: .word, text: "hi 👍🏽 🇫🇷", pieces: ["hi", " 👍🏽", " 🇫🇷"]),
        Case(name: "whitespace: PTB line", kind: .whitespace, text: " the <unk> rose N % \n",
             pieces: ["the", "<unk>", "rose", "N", "%"]),
        Case(name: "whitespace: any Unicode space separates", kind: .whitespace, text: "a\u{3000}b\u{A0}c\td", pieces: ["a", "b", "c", "d"]),
        Case(name: "char: graphemes, not code points", kind: .character, text: "e\u{301}👩‍👩‍👧\r\nx",
             pieces: ["e\u{301}", "👩‍👩‍👧", "\r\n", "x"]),
        Case(name: "char: ASCII before a combining mark joins it", kind: .character, text: "abc\u{301}d",
             pieces: ["a", "b", "c\u{301}", "d"]),
        Case(name: "char: CR LF right before non-ASCII", kind: .character, text: "a\r\né\r\n", pieces: ["a", "\r\n", "é", "\r\n"]),
    ]

    static func preTokenizer(_ kind: TokenizerKind) throws -> any PreTokenizer {
        switch kind {
        case .character: try GraphemePreTokenizer()
        case .word: try WordPreTokenizer()
        default: WhitespacePreTokenizer()
        }
    }

    @Test(arguments: cases)
    func pieces(_ testCase: Case) throws {
        #expect(try Self.preTokenizer(testCase.kind).pieces(of: testCase.text) == testCase.pieces)
    }

    /// The ASCII fast path of `GraphemePreTokenizer` must agree with ICU on every text.
    @Test(arguments: [1, 2, 3, 4, 5, 6, 7, 8])
    func graphemeFastPathAgreesWithICU(seed: UInt64) throws {
        let alphabet = ["a", "b", " ", "\r", "\n", "\r\n", "\u{301}", "\u{200D}", "👩", "🇫", "🇷", "🏽", "\u{600}", "中", "é", "\u{1100}", "\u{1161}", "ः"]
        var generator = BPESeededGenerator(seed: seed)
        let grapheme = try GraphemePreTokenizer()
        let icu = try Segmenter(unit: .grapheme)
        for _ in 0..<200 {
            let text = (0..<Int(generator.next() % 24)).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] }.joined()
            let fast = UTF8Bytes.withBytes(of: text) { bytes in
                var ranges: [Range<Int>] = []
                grapheme.forEachPiece(in: bytes) { ranges.append($0) }
                return ranges
            }
            #expect(fast == icu.byteRanges(in: text), "\(text.unicodeScalars.map { String($0.value, radix: 16) })")
        }
    }
}
