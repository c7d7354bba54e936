import QuillText
import Testing

@Suite struct VocabularyBuilderTests {
    private func build(_ text: String, kind: TokenizerKind = .whitespace, minimumCount: Int = 1, maximumSize: Int? = nil) throws -> Vocabulary {
        var builder = try VocabularyBuilder(settings: .defaults(for: kind))
        builder.add(text)
        return try builder.build(minimumCount: minimumCount, maximumSize: maximumSize)
    }

    @Test func specialsComeFirstThenByFrequencyThenBytes() throws {
        let vocabulary = try build("b a c a b a d c b a")
        #expect(vocabulary.tokens == ["<pad>", "<unk>", "<bos>", "<eos>", "a", "b", "c", "d"])
        #expect(vocabulary.counts == [0, 0, 0, 0, 4, 3, 2, 1])
    }

    @Test func tiesBreakByUTF8BytesWhateverTheInputOrder() throws {
        let one = try build("zeta alpha Beta éclair")
        let two = try build("éclair Beta alpha zeta")
        #expect(one.tokens == two.tokens)
        #expect(Array(one.tokens.dropFirst(4)) == ["Beta", "alpha", "zeta", "éclair"])
    }

    @Test func minimumCountDropsRareTypesToUnknown() throws {
        let vocabulary = try build("a a a b b c", minimumCount: 2)
        #expect(Array(vocabulary.tokens.dropFirst(4)) == ["a", "b"])
        let statistics = try #require(vocabulary.statistics)
        #expect(statistics.corpusTokens == 6)
        #expect(statistics.corpusTypes == 3)
        #expect(statistics.unknownTokens == 1)
        #expect(abs(statistics.unknownShare - 1.0 / 6.0) < 1e-12)
    }

    /// `maximumSize` counts every id, the four specials included.
    @Test func maximumSizeCountsTheSpecials() throws {
        let vocabulary = try build("a a a b b c d", maximumSize: 6)
        #expect(vocabulary.count == 6)
        #expect(Array(vocabulary.tokens.dropFirst(4)) == ["a", "b"])
        #expect(vocabulary.statistics?.unknownTokens == 2)
    }

    @Test func literalSpecialsMapToTheirFixedIDs() throws {
        let vocabulary = try build("the <unk> sat <unk> on <eos>")
        #expect(vocabulary.count == 4 + 3)
        #expect(vocabulary.id(for: "<unk>") == Vocabulary.unknownID)
        #expect(vocabulary.statistics?.corpusTypes == 5)
        #expect(vocabulary.statistics?.unknownTokens == 2)
        #expect(vocabulary.counts[...3] == [0, 2, 0, 1])
    }

    @Test func characterVocabularyCountsGraphemes() throws {
        let vocabulary = try build("aé\u{301}a\r\n👍🏽", kind: .character)
        #expect(Set(vocabulary.tokens.dropFirst(4)) == ["a", "\u{E9}\u{301}", "\r\n", "👍🏽"])
        #expect(vocabulary.tokens[4] == "a")
    }

    struct LimitCase: CustomTestStringConvertible, Sendable {
        var name: String
        var minimumCount: Int
        var maximumSize: Int?
        var error: TokenizerError
        var testDescription: String { name }
    }

    @Test(arguments: [
        LimitCase(name: "min count 0", minimumCount: 0, maximumSize: nil, error: .invalidMinimumCount(0)),
        LimitCase(name: "size 4 leaves no room", minimumCount: 1, maximumSize: 4, error: .invalidSize(4)),
    ])
    func rejectsLimitsOutOfRange(_ testCase: LimitCase) throws {
        #expect(throws: testCase.error) { try build("a b", minimumCount: testCase.minimumCount, maximumSize: testCase.maximumSize) }
    }

    @Test func emptyAndWhitespaceOnlyCorporaAreErrorsInWhitespaceMode() throws {
        let empty = try TemporaryFile([])
        let blank = try TemporaryFile(text: "  \n\t\n \u{3000}\n", name: "blank.txt")
        var builder = try VocabularyBuilder(settings: .defaults(for: .whitespace))
        try builder.addFile(atPath: empty.path)
        try builder.addFile(atPath: blank.path)
        #expect(throws: TokenizerError.emptyCorpus(paths: [empty.path, blank.path])) { try builder.build() }
    }

    /// In char and word modes whitespace is text, so a whitespace-only corpus gives a vocabulary of its whitespace.
    @Test func whitespaceOnlyCorpusKeepsItsWhitespaceInCharacterMode() throws {
        let vocabulary = try build(" \n \n", kind: .character)
        #expect(Array(vocabulary.tokens.dropFirst(4)) == ["\n", " "])
    }

    @Test func filesAreCountedLikeTheirText() throws {
        let text = (0..<3000).map { "word\($0 % 37) and more, line \($0 % 11)\n" }.joined()
        let file = try TemporaryFile(text: text)
        var fromFile = try VocabularyBuilder(settings: .defaults(for: .word))
        var reported: [Int] = []
        try fromFile.addFile(atPath: file.path) { bytesRead, _ in reported.append(bytesRead) }
        var fromText = try VocabularyBuilder(settings: .defaults(for: .word))
        fromText.add(text)
        #expect(try fromFile.build().tokens == fromText.build().tokens)
        #expect(reported.last == text.utf8.count)
    }

    @Test func bpeIsTrainedElsewhere() {
        #expect(throws: TokenizerError.self) { try VocabularyBuilder(settings: .defaults(for: .bpe)) }
    }
}
