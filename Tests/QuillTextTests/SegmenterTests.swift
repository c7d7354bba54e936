import QuillText
import Testing

@Suite struct SegmenterTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var unit: SegmentationUnit
        var text: String
        var segments: [String]
        var testDescription: String { name }
    }

    static let cases = [
        Case(name: "Chinese words by dictionary", unit: .word, text: "中文分词", segments: ["中文", "分词"]),
        Case(name: "Japanese words by dictionary", unit: .word, text: "日本語の文章", segments: ["日本語", "の", "文章"]),
        Case(name: "English words, spaces and punctuation", unit: .word, text: "Hello, world!",
             segments: ["Hello", ",", " ", "world", "!"]),
        Case(name: "contractions and decimals stay whole", unit: .word, text: "don't 3.14", segments: ["don't", " ", "3.14"]),
        Case(name: "colon between letters joins (UAX #29, not ICU root)", unit: .word, text: "a:b 12:30",
             segments: ["a:b", " ", "12", ":", "30"]),
        Case(name: "emoji ZWJ family is one word", unit: .word, text: "👩‍👩‍👧 ok", segments: ["👩‍👩‍👧", " ", "ok"]),
        Case(name: "ZWJ sequence, flag and skin tone are one grapheme each", unit: .grapheme, text: "👩‍👩‍👧🇫🇷👍🏽",
             segments: ["👩‍👩‍👧", "🇫🇷", "👍🏽"]),
        Case(name: "combining mark joins its base", unit: .grapheme, text: "e\u{301}x", segments: ["e\u{301}", "x"]),
        Case(name: "CRLF is one grapheme", unit: .grapheme, text: "a\r\nb", segments: ["a", "\r\n", "b"]),
        Case(name: "Hangul jamo form one grapheme", unit: .grapheme, text: "\u{1100}\u{1161}\u{11A8}가", segments: ["\u{1100}\u{1161}\u{11A8}", "가"]),
        Case(name: "sentences keep trailing spaces and breaks", unit: .sentence, text: "Hi there. How are you?  Fine.\nNext",
             segments: ["Hi there. ", "How are you?  ", "Fine.\n", "Next"]),
        Case(name: "empty text has no segments", unit: .word, text: "", segments: []),
    ]

    @Test(arguments: cases)
    func segments(_ testCase: Case) throws {
        let segmenter = try Segmenter(unit: testCase.unit)
        #expect(segmenter.segments(of: testCase.text).map(String.init) == testCase.segments)
    }

    @Test(arguments: SegmentationUnit.allCases)
    func segmentsConcatenateToTheText(unit: SegmentationUnit) throws {
        let text = "Ça va? 中文分词很好。 👨‍👩‍👧‍👦 e\u{301}\u{302}\r\n\tThe end.  "
        let segments = try Segmenter(unit: unit).segments(of: text)
        #expect(segments.joined() == text)
        #expect(segments.allSatisfy { !$0.isEmpty })
    }

    /// ICU marks every dictionary-segmented word (kana included) as ideographic.
    @Test func wordCategoriesFollowICURuleStatus() throws {
        var categories: [WordCategory] = []
        let text = "ab 12 カタカナ 中文 ,"
        UTF8Bytes.withBytes(of: text) { bytes in
            try! Segmenter(unit: .word).forEachSegment(in: bytes) { _, category in categories.append(category) }
        }
        #expect(categories == [.letter, .other, .number, .other, .ideographic, .other, .ideographic, .other, .other])
    }

    @Test func isSafeToShareBetweenThreads() async throws {
        let segmenter = try Segmenter(unit: .word)
        let expected = segmenter.byteRanges(in: "one two three")
        try await withThrowingTaskGroup(of: [Range<Int>].self) { group in
            for _ in 0..<16 { group.addTask { (0..<50).map { _ in segmenter.byteRanges(in: "one two three") }.last! } }
            for try await ranges in group { #expect(ranges == expected) }
        }
    }

    @Test func reportsICUVersion() {
        #expect(Segmenter.icuVersion.hasPrefix("72"))
    }
}
