import QuillText
import Testing

@Suite struct NormalizerTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var settings: Normalization
        var input: String
        var expected: String
        var testDescription: String { name }
    }

    static let cases = [
        Case(name: "NFC composes e + U+0301", settings: .init(form: .nfc), input: "cafe\u{301}", expected: "caf\u{E9}"),
        Case(name: "NFD decomposes é", settings: .init(form: .nfd), input: "caf\u{E9}", expected: "cafe\u{301}"),
        Case(name: "NFKC folds full-width and ligatures", settings: .init(form: .nfkc), input: "ＡＢＣ ﬁ ①", expected: "ABC fi 1"),
        Case(name: "NFKD decomposes compatibility and canonical", settings: .init(form: .nfkd), input: "ﬁé", expected: "fie\u{301}"),
        Case(name: "none leaves decomposed text", settings: .none, input: "e\u{301}  X", expected: "e\u{301}  X"),
        Case(name: "lowercase maps each letter", settings: .init(caseMapping: .lowercase), input: "ÉCOLE Straße ΣΑΣ", expected: "école straße σασ"),
        Case(name: "fold expands sharp s", settings: .init(caseMapping: .fold), input: "Straße", expected: "strasse"),
        Case(name: "lowercase after NFKC decomposition", settings: .init(form: .nfkc, caseMapping: .lowercase), input: "ℌⅫ", expected: "hxii"),
        Case(name: "Hangul jamo compose under NFC", settings: .init(form: .nfc), input: "\u{1100}\u{1161}\u{11A8}", expected: "\u{AC01}"),
        Case(name: "Hangul syllable decomposes under NFD", settings: .init(form: .nfd), input: "\u{AC01}", expected: "\u{1100}\u{1161}\u{11A8}"),
        Case(name: "marks reorder by combining class", settings: .init(form: .nfd), input: "a\u{301}\u{316}", expected: "a\u{316}\u{301}"),
        Case(name: "emoji ZWJ sequence untouched", settings: .init(form: .nfkc, caseMapping: .fold), input: "👩‍👩‍👧🇫🇷👍🏽", expected: "👩‍👩‍👧🇫🇷👍🏽"),
        Case(name: "collapse keeps newlines", settings: .init(form: .none, whitespace: .collapse),
             input: "  a \t b  \n\n  c\u{3000}d  \r\n", expected: "a b\n\nc d\r\n"),
        Case(name: "collapse-all joins lines", settings: .init(form: .none, whitespace: .collapseAll),
             input: "  a \n b\r\n\n c  ", expected: "a b c"),
        Case(name: "collapse after NFKC turns NBSP into a space", settings: .init(form: .nfkc, whitespace: .collapse),
             input: "a\u{A0}\u{A0}b", expected: "a b"),
        Case(name: "whitespace-only text collapses to nothing", settings: .init(whitespace: .collapse), input: " \t \u{2003} ", expected: ""),
        Case(name: "empty text", settings: .init(form: .nfkc, caseMapping: .fold, whitespace: .collapse), input: "", expected: ""),
    ]

    @Test(arguments: cases)
    func normalizes(_ testCase: Case) {
        #expect(Normalizer(testCase.settings).normalizedString(testCase.input) == testCase.expected)
    }

    @Test func asciiWithoutChangesIsReturnedAsIs() {
        let normalized = Normalizer(Normalization(form: .nfkc)).normalize("plain ASCII, nothing to do\r\n")
        #expect(normalized.isUnchanged)
        #expect(normalized.alignment.isIdentity)
    }

    struct OffsetCase: CustomTestStringConvertible, Sendable {
        var name: String
        var settings: Normalization
        var input: String
        /// A normalized substring and the original substring it must map back to.
        var normalizedPiece: String
        var originalPiece: String
        var testDescription: String { name }
    }

    static let offsetCases = [
        OffsetCase(name: "composed é maps to e + U+0301", settings: .init(form: .nfc), input: "xe\u{301}y", normalizedPiece: "\u{E9}", originalPiece: "e\u{301}"),
        OffsetCase(name: "ASCII after a rewrite keeps exact offsets", settings: .init(form: .nfc), input: "e\u{301}abc", normalizedPiece: "bc", originalPiece: "bc"),
        OffsetCase(name: "lowercased ASCII maps byte for byte", settings: .init(caseMapping: .lowercase), input: "Hello WORLD", normalizedPiece: "world", originalPiece: "WORLD"),
        OffsetCase(name: "full-width letters map to their originals", settings: .init(form: .nfkc), input: "ab ＡＢ", normalizedPiece: "AB", originalPiece: "ＡＢ"),
        OffsetCase(name: "collapsed space maps to the whole run", settings: .init(whitespace: .collapse), input: "a \t b", normalizedPiece: " ", originalPiece: " \t "),
        OffsetCase(name: "word after collapsed run maps exactly", settings: .init(whitespace: .collapse), input: "  a   bc ", normalizedPiece: "bc", originalPiece: "bc"),
        OffsetCase(name: "sharp s folded to ss maps to ß", settings: .init(caseMapping: .fold), input: "Straße!", normalizedPiece: "ss", originalPiece: "ß"),
    ]

    @Test(arguments: offsetCases)
    func offsetsPointIntoTheOriginal(_ testCase: OffsetCase) throws {
        let normalized = Normalizer(testCase.settings).normalize(testCase.input)
        let text = normalized.text
        let range = try #require(text.range(of: testCase.normalizedPiece))
        let bytes = text.utf8.distance(from: text.startIndex, to: range.lowerBound)..<text.utf8.distance(from: text.startIndex, to: range.upperBound)
        let original = normalized.originalRange(of: bytes)
        let utf8 = Array(testCase.input.utf8)
        #expect(String(decoding: utf8[original], as: UTF8.self) == testCase.originalPiece)
    }

    @Test func settingsHaveReadableNames() throws {
        #expect(WhitespaceCleanup(rawValue: "collapse-all") == .collapseAll)
        #expect(Normalization(form: .nfkc, caseMapping: .fold, whitespace: .collapse).description == "nfkc, case fold, whitespace collapse")
        #expect(Normalization.none.isIdentity)
    }

    @Test func reportsUnicodeVersionOfItsTables() {
        #expect(Normalizer.unicodeVersion.hasPrefix("15."))
    }
}
