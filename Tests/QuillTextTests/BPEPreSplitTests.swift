import Foundation
import Testing
@testable import QuillText

/// The byte ranges `rule` cuts `bytes` into.
func preSplitRanges(_ bytes: [UInt8], _ rule: ByteLevelPreSplit) -> [Range<Int>] {
    bytes.withUnsafeBufferPointer { buffer in
        var splitter = ByteLevelPreSplitter(buffer, rule: rule)
        var ranges: [Range<Int>] = []
        while let range = splitter.next() { ranges.append(range) }
        return ranges
    }
}

/// The pre-tokens `rule` cuts `text` into, as strings.
func preSplitPieces(_ text: String, _ rule: ByteLevelPreSplit) -> [String] {
    let bytes = Array(text.utf8)
    return preSplitRanges(bytes, rule).map { String(decoding: bytes[$0], as: UTF8.self) }
}

@Suite struct BPEPreSplitTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let text: String
        let gpt2: [String]
        let quill: [String]
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "contractions", text: "don't 's 'S we'll",
             gpt2: ["don", "'t", " '", "s", " '", "S", " we", "'ll"],
             quill: ["don", "'t", " '", "s", " '", "S", " we", "'ll"]),
        Case(name: "space runs give their last space to the next word", text: "a   b  ",
             gpt2: ["a", "  ", " b", "  "], quill: ["a", "  ", " b", "  "]),
        Case(name: "newlines stand alone before words", text: "a\n\nb\r\nc",
             gpt2: ["a", "\n", "\n", "b", "\r", "\n", "c"], quill: ["a", "\n", "\n", "b", "\r", "\n", "c"]),
        Case(name: "numbers and punctuation", text: "x 3.14, 42!!",
             gpt2: ["x", " 3", ".", "14", ",", " 42", "!!"], quill: ["x", " 3", ".", "14", ",", " 42", "!!"]),
        Case(name: "combining marks stay with letters in Quill's rule", text: "e\u{301}te\u{301} n\u{303}o",
             gpt2: ["e", "\u{301}", "te", "\u{301}", " n", "\u{303}", "o"], quill: ["e\u{301}te\u{301}", " n\u{303}o"]),
        Case(name: "a mark after a digit starts a letter run", text: "1\u{301}x",
             gpt2: ["1", "\u{301}", "x"], quill: ["1", "\u{301}x"]),
        Case(name: "emoji ZWJ sequences and variation selectors stay whole", text: "a 👨‍👩‍👧 ❤️",
             gpt2: ["a", " 👨‍👩‍👧", " ❤️"], quill: ["a", " 👨‍👩‍👧", " ❤️"]),
        Case(name: "unsegmented Chinese is one letter run", text: "中文分词很难。",
             gpt2: ["中文分词很难", "。"], quill: ["中文分词很难", "。"]),
        Case(name: "other white space is never a word prefix", text: "a\u{3000}b\u{A0}c",
             gpt2: ["a", "\u{3000}", "b", "\u{A0}", "c"], quill: ["a", "\u{3000}", "b", "\u{A0}", "c"]),
        Case(name: "special-token text is ordinary text", text: "<eos>x",
             gpt2: ["<", "eos", ">", "x"], quill: ["<", "eos", ">", "x"]),
    ]

    @Test(arguments: cases)
    func splitsLikeTheRegex(_ c: Case) {
        #expect(preSplitPieces(c.text, .gpt2) == c.gpt2)
        #expect(preSplitPieces(c.text, .quillDefault) == c.quill)
    }

    struct FixtureCase: Decodable {
        let name: String
        let text: String
        let pieces: [String: [Int]]
    }

    struct Rule: CustomTestStringConvertible, Sendable {
        let key: String
        let rule: ByteLevelPreSplit
        var testDescription: String { key }
    }

    /// `presplit.json` holds how Hugging Face `tokenizers` (Oniguruma) cuts the sample text and
    /// 300 random strings of edge-case scalars under each rule, as byte lengths.
    @Test(arguments: [
        Rule(key: "gpt2", rule: .gpt2),
        Rule(key: "quill32", rule: .gpt2KeepingMarks(maxRunLength: 32)),
        Rule(key: "quill3", rule: .gpt2KeepingMarks(maxRunLength: 3)),
    ])
    func matchesHuggingFaceOnFixtureStrings(_ rule: Rule) throws {
        let cases = try BPEFixture.decode([FixtureCase].self, from: "presplit.json")
        #expect(cases.count == 301)
        for c in cases {
            let lengths = preSplitRanges(Array(c.text.utf8), rule.rule).map(\.count)
            #expect(lengths == c.pieces[rule.key], "\(c.name): \(c.text.debugDescription)")
        }
    }

    @Test(arguments: [
        Rule(key: "gpt2", rule: .gpt2),
        Rule(key: "quill32", rule: .quillDefault),
        Rule(key: "quill1", rule: .gpt2KeepingMarks(maxRunLength: 1)),
    ])
    func patternRoundTrips(_ rule: Rule) {
        #expect(ByteLevelPreSplit(pattern: rule.rule.pattern) == rule.rule)
    }

    @Test func rejectsOtherPatterns() {
        #expect(ByteLevelPreSplit(pattern: #"\s+"#) == nil)
        #expect(ByteLevelPreSplit(pattern: ByteLevelPreSplit.quillDefault.pattern + "|x") == nil)
        #expect(ByteLevelPreSplit(pattern: ByteLevelPreSplit.gpt2.pattern.uppercased()) == nil)
    }

    @Test func longRunsAreCutIntoBoundedPieces() {
        let text = String(repeating: "漢", count: 10_000) + " " + String(repeating: "x", count: 100)
            + String(repeating: " ", count: 70) + "y"
        let pieces = preSplitPieces(text, .quillDefault)
        #expect(pieces.joined() == text)
        #expect(pieces.allSatisfy { $0.unicodeScalars.count <= 33 })
        #expect(pieces.count == 313 + 4 + 3 + 1)
    }

    @Test func invalidUTF8IsKeptByteForByte() {
        let bytes: [UInt8] = [0x61, 0xFF, 0xE4, 0xB8, 0x20, 0xC3, 0x28, 0xED, 0xA0, 0x80, 0xF4, 0x90, 0x80, 0x80, 0x62]
        for rule in [ByteLevelPreSplit.gpt2, .quillDefault] {
            let ranges = preSplitRanges(bytes, rule)
            #expect(ranges.first?.lowerBound == 0)
            #expect(ranges.last?.upperBound == bytes.count)
            #expect(zip(ranges, ranges.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound && !$0.isEmpty })
        }
    }
}
