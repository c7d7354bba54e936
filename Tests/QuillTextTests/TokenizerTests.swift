import Foundation
import QuillText
import Testing

@Suite struct TokenizerTests {
    /// A tokenizer of `kind` whose vocabulary is built from `corpus`.
    static func tokenizer(_ kind: TokenizerKind, corpus: String, normalization: Normalization? = nil) throws -> any Tokenizer {
        let settings = TokenizerSettings(kind: kind, normalization: normalization ?? TokenizerSettings.defaults(for: kind).normalization)
        var builder = try VocabularyBuilder(settings: settings)
        builder.add(corpus)
        return try TokenizerFile.tokenizer(for: builder.build())
    }

    struct RoundTripCase: CustomTestStringConvertible, Sendable {
        var name: String
        var kind: TokenizerKind
        var text: String
        var testDescription: String { name }
    }

    static let texts = [
        "Plain ASCII, with punctuation!",
        "cafe\u{301} naïve Ångström",
        "family 👩‍👩‍👧 flag 🇫🇷 thumbs 👍🏽",
        "windows\r\nline\r\nbreaks\r\n",
        "  leading and  double  spaces\tand tabs \n",
        "中文分词 日本語の文章",
    ]

    static let roundTrips = TokenizerKind.allCases.filter { $0 != .bpe && $0 != .whitespace }.flatMap { kind in
        texts.enumerated().map { RoundTripCase(name: "\(kind.rawValue) #\($0.offset)", kind: kind, text: $0.element) }
    }

    /// decode(encode(s)) is the normalized text, for text the vocabulary knows.
    @Test(arguments: roundTrips)
    func decodeInvertsEncode(_ testCase: RoundTripCase) throws {
        let tokenizer = try Self.tokenizer(testCase.kind, corpus: Self.texts.joined(separator: "\n"))
        let normalized = Normalizer(TokenizerSettings.defaults(for: testCase.kind).normalization).normalizedString(testCase.text)
        let ids = tokenizer.encode(testCase.text)
        #expect(!ids.contains(Vocabulary.unknownID))
        #expect(tokenizer.decode(ids) == normalized)
        #expect(tokenizer.encodeWithOffsets(testCase.text).map(\.id) == ids)
    }

    @Test func whitespaceModeRoundTripsCollapsedText() throws {
        let tokenizer = try Self.tokenizer(.whitespace, corpus: " the <unk> rose N % \n the end")
        let ids = tokenizer.encode("  the   <unk>\trose N  %  ")
        #expect(tokenizer.decode(ids) == "the <unk> rose N %")
        #expect(ids[1] == Vocabulary.unknownID)
    }

    struct OffsetCase: CustomTestStringConvertible, Sendable {
        var name: String
        var kind: TokenizerKind
        var normalization: Normalization
        var text: String
        /// The original text under each token, in order.
        var pieces: [String]
        var testDescription: String { name }
    }

    static let offsetCases = [
        OffsetCase(name: "char: NFC é covers e + U+0301", kind: .character, normalization: .init(form: .nfc), text: "ae\u{301}b",
                   pieces: ["a", "e\u{301}", "b"]),
        OffsetCase(name: "char: ZWJ family is one token", kind: .character, normalization: .init(form: .nfc), text: "x👩‍👩‍👧y",
                   pieces: ["x", "👩‍👩‍👧", "y"]),
        OffsetCase(name: "char: CRLF is one token", kind: .character, normalization: .init(form: .nfc), text: "a\r\nb",
                   pieces: ["a", "\r\n", "b"]),
        OffsetCase(name: "word: NFKC full-width word maps to the original", kind: .word, normalization: .init(form: .nfkc),
                   text: "say ＨＩ now", pieces: ["say", " ＨＩ", " now"]),
        OffsetCase(name: "word: lowercasing keeps exact offsets", kind: .word, normalization: .init(caseMapping: .lowercase),
                   text: "Hello WORLD", pieces: ["Hello", " WORLD"]),
        OffsetCase(name: "whitespace: collapsed spaces are skipped", kind: .whitespace, normalization: .init(whitespace: .collapse),
                   text: "  a \t bb  ", pieces: ["a", "bb"]),
        OffsetCase(name: "word: decomposed accents with NFC", kind: .word, normalization: .init(form: .nfc), text: "cafe\u{301} ok",
                   pieces: ["cafe\u{301}", " ok"]),
    ]

    @Test(arguments: offsetCases)
    func offsetsPointIntoTheOriginalText(_ testCase: OffsetCase) throws {
        let tokenizer = try Self.tokenizer(testCase.kind, corpus: testCase.text, normalization: testCase.normalization)
        let bytes = Array(testCase.text.utf8)
        let pieces = tokenizer.encodeWithOffsets(testCase.text).map { String(decoding: bytes[$0.byteRange], as: UTF8.self) }
        #expect(pieces == testCase.pieces)
    }

    @Test func unknownWordKeepsItsSpace() throws {
        let tokenizer = try Self.tokenizer(.word, corpus: "a  b")
        let tokens = tokenizer.encodeWithOffsets("a zebra")
        #expect(tokens.map(\.id) == [tokenizer.encode("a")[0], tokenizer.encode(" ")[0], Vocabulary.unknownID])
        #expect(tokens.map(\.byteRange) == [0..<1, 1..<2, 2..<7])
        #expect(tokenizer.decode(tokens.map(\.id)) == "a <unk>")
    }

    /// What a sentence given on the command line loses to `<unk>`, as the user wrote it.
    @Test func unknownWordsAreNamedAsWritten() throws {
        let word = try Self.tokenizer(.word, corpus: "the cat sat on the mat")
        #expect(word.unknownWords(in: "the Zebra sat on the zebra, the Zebra") == ["Zebra", "zebra", ","])
        #expect(word.unknownWords(in: "the cat sat").isEmpty)
        let character = try Self.tokenizer(.character, corpus: "abc")
        #expect(character.unknownWords(in: "abé d") == ["é", "d"])
    }

    /// A generated `<unk>` stands for a word and its space: "the <unk> of", never "the<unk> of".
    @Test func unknownDecodesWithItsSpace() throws {
        let tokenizer = try Self.tokenizer(.word, corpus: "up the hill of\nthe end")
        let the = tokenizer.encode("up the")[1], of = tokenizer.encode("hill of")[1]
        #expect(tokenizer.decode([the, Vocabulary.unknownID, of]) == " the <unk> of")
        #expect(tokenizer.decode([Vocabulary.unknownID, of]) == "<unk> of")
        let character = try Self.tokenizer(.character, corpus: "ab")
        #expect(character.decode([character.encode("a")[0], Vocabulary.unknownID]) == "a<unk>")
    }

    @Test func decodeSkipsControlSpecialsUnlessAsked() throws {
        let tokenizer = try Self.tokenizer(.word, corpus: "hi there")
        let ids = [Vocabulary.beginID] + tokenizer.encode("hi there") + [Vocabulary.endID, Vocabulary.paddingID]
        #expect(tokenizer.decode(ids) == "hi there")
        #expect(tokenizer.decode(ids, keepingSpecials: true) == "<bos>hi there<eos><pad>")
        #expect(tokenizer.decode([Vocabulary.unknownID, 9999]) == "<unk> <unk>")
        #expect(tokenizer.specialTokens == ["<pad>": 0, "<unk>": 1, "<bos>": 2, "<eos>": 3])
    }

    @Test(arguments: [TokenizerKind.character, .word, .whitespace])
    func savedFileLoadsAsTheSameTokenizer(kind: TokenizerKind) throws {
        let corpus = "The cat sat.\nLe chat était assis. 猫が座った。"
        let tokenizer = try Self.tokenizer(kind, corpus: corpus)
        let file = try TemporaryFile([], name: "unused")
        let path = file.sibling("tokenizer.json")
        try TokenizerFile.save(tokenizer, to: path)
        let loaded = try TokenizerFile.load(from: path)
        #expect(loaded.kind == kind)
        #expect(loaded.vocabularySize == tokenizer.vocabularySize)
        #expect(loaded.encode(corpus) == tokenizer.encode(corpus))
        #expect((0..<loaded.vocabularySize).map(loaded.token(for:)) == (0..<tokenizer.vocabularySize).map(tokenizer.token(for:)))
    }

    /// BPE tokenizers are stored as Hugging Face tokenizer.json; the same entry point reads them.
    @Test func bpeFilesLoadThroughTheSameEntryPoint() throws {
        let bpe = try ByteLevelBPE.train(texts: ["hello world, hello there"], vocabularySize: 270, specialTokens: Vocabulary.specialTokens)
        let loaded = try TokenizerFile.decode(bpe.encoded(), source: "tokenizer.json")
        #expect(loaded.kind == .bpe)
        #expect(loaded.encode("hello world") == bpe.encode("hello world"))
    }

    @Test func wrongKindOfVocabularyIsRejected() throws {
        let vocabulary = try Vocabulary(settings: .defaults(for: .word), tokens: ["a"])
        #expect(throws: TokenizerError.incompatibleVocabulary(path: "<memory>", setting: "tokenizer", expected: "char", found: "word")) {
            try CharacterTokenizer(vocabulary: vocabulary)
        }
    }

    @Test func emptyTextHasNoTokens() throws {
        for kind in [TokenizerKind.character, .word, .whitespace] {
            let tokenizer = try Self.tokenizer(kind, corpus: "a b")
            #expect(tokenizer.encodeWithOffsets("").isEmpty)
            #expect(tokenizer.decode([]) == "")
        }
    }

    /// A single line of 1 MB (512 KB for characters: a token per byte) encodes in one pass; the
    /// time bound catches quadratic behaviour, not speed, in debug builds.
    @Test(arguments: [TokenizerKind.character, .word, .whitespace])
    func longSingleLineEncodesInLinearTime(kind: TokenizerKind) throws {
        let unit = "lorem ipsum dolor sit amet "
        let tokenizer = try Self.tokenizer(kind, corpus: unit + unit)
        let line = String(repeating: unit, count: (kind == .character ? 1 << 19 : 1 << 20) / unit.utf8.count)
        let start = ContinuousClock.now
        let ids = tokenizer.encode(line)
        #expect(ContinuousClock.now - start < .seconds(20))
        let unknown = ids.filter { $0 == Vocabulary.unknownID }.count
        #expect(unknown == 0)
        let roundTrips = tokenizer.decode(ids) == (kind == .whitespace ? String(line.dropLast()) : line)
        #expect(roundTrips)
    }

    @Test func concurrentEncodingGivesTheSameIDs() async throws {
        let tokenizer = try Self.tokenizer(.word, corpus: Self.texts.joined(separator: " "))
        let expected = Self.texts.map(tokenizer.encode)
        try await withThrowingTaskGroup(of: [[Int]].self) { group in
            for _ in 0..<8 { group.addTask { Self.texts.map(tokenizer.encode) } }
            for try await ids in group { #expect(ids == expected) }
        }
    }
}
