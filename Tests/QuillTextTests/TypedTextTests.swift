import QuillText
import Testing

/// A sentence a person types reads as the corpus reads the same words, whatever spacing the
/// person put around punctuation (issue 21: "said , let" lost its comma to `<unk>`).
@Suite struct TypedTextTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var kind: TokenizerKind
        /// What the person typed.
        var typed: String
        /// The same words as the corpus writes them.
        var asInCorpus: String
        var testDescription: String { name }
    }

    static let corpus = """
        And God said, Let there be light: and there was light.
        And God saw the light, that it was good.
        Jesus wept.
        """
    static let pretokenized = "and god said , let there be light : and there was light .\njesus wept ."

    static let cases = [
        Case(name: "space before a comma and a colon", kind: .word, typed: "And God said , Let there be light : and there was light",
             asInCorpus: "And God said, Let there be light: and there was light"),
        Case(name: "space before the full stop", kind: .word, typed: "Jesus wept .", asInCorpus: "Jesus wept."),
        Case(name: "spaces around the sentence", kind: .word, typed: "  Jesus wept.  ", asInCorpus: "Jesus wept."),
        Case(name: "no space after a comma", kind: .word, typed: "And God saw the light,that it was good.",
             asInCorpus: "And God saw the light, that it was good."),
        Case(name: "already as the corpus", kind: .word, typed: "And God said, Let there be light.",
             asInCorpus: "And God said, Let there be light."),
        Case(name: "pre-tokenized corpus, punctuation typed attached", kind: .whitespace,
             typed: "and god said, let there be light: and there was light.",
             asInCorpus: "and god said , let there be light : and there was light ."),
        Case(name: "pre-tokenized corpus, spaces around", kind: .whitespace, typed: " jesus wept . ", asInCorpus: "jesus wept ."),
    ]

    @Test(arguments: cases)
    func typedTextReadsAsTheCorpus(_ testCase: Case) throws {
        let tokenizer = try TokenizerTests.tokenizer(testCase.kind, corpus: testCase.kind == .word ? Self.corpus : Self.pretokenized)
        let expected = tokenizer.encode(testCase.asInCorpus)
        #expect(!expected.contains(Vocabulary.unknownID))
        #expect(tokenizer.encodeTyped(testCase.typed) == expected)
        #expect(tokenizer.unknownWords(in: testCase.typed).isEmpty)
    }

    /// Offsets still point into the text as typed, past the whitespace trimmed from its start.
    @Test func offsetsPointIntoTheTypedText() throws {
        let tokenizer = try TokenizerTests.tokenizer(.word, corpus: Self.corpus)
        let typed = "  jesus wept ."
        let bytes = Array(typed.utf8)
        let pieces = tokenizer.encodeTypedWithOffsets(typed).map { String(decoding: bytes[$0.byteRange], as: UTF8.self) }
        #expect(pieces == ["jesus", " wept", " ."])
    }

    /// Words the vocabulary lacks stay unknown, and the plain encoding of corpus text is unchanged.
    @Test func unknownWordsStayUnknown() throws {
        let tokenizer = try TokenizerTests.tokenizer(.word, corpus: Self.corpus)
        #expect(tokenizer.unknownWords(in: "Jesus wept , and the xylophone") == ["xylophone"])
        #expect(tokenizer.encode("wept ,").last == Vocabulary.unknownID)
    }

    /// Byte-level BPE and characters have no spacing to mend: typed text encodes as any text.
    @Test func characterTokenizerEncodesTypedTextAsItIs() throws {
        let tokenizer = try TokenizerTests.tokenizer(.character, corpus: "ab ,")
        #expect(tokenizer.encodeTyped(" a , b") == tokenizer.encode(" a , b"))
    }
}
