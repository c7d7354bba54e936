import Testing
@testable import QuillText

@Suite struct BPESpecialTokenTests {
    /// A tokenizer trained on text full of special-token look-alikes.
    static func trainedOnLookAlikes() throws -> ByteLevelBPE {
        let text = String(repeating: "<eos> hello <pad><bos> world <unk> <eos>\n", count: 50)
        return try ByteLevelBPE.train(texts: [text], vocabularySize: 400, specialTokens: ["<pad>", "<unk>", "<bos>", "<eos>"])
    }

    @Test func specialsTakeTheFirstIds() throws {
        let tokenizer = try Self.trainedOnLookAlikes()
        #expect(tokenizer.specialTokens == ["<pad>": 0, "<unk>": 1, "<bos>": 2, "<eos>": 3])
        #expect(tokenizer.kind == .bpe)
    }

    @Test func rawTextNeverProducesSpecials() throws {
        let tokenizer = try Self.trainedOnLookAlikes()
        let specialIds = Set(tokenizer.specialTokens.values)
        for text in ["<eos>", "<pad><bos>", " <unk> ", "x<eos>y", String(repeating: "<eos>", count: 20)] {
            let ids = tokenizer.encode(text)
            #expect(ids.allSatisfy { !specialIds.contains($0) }, "\(text)")
            #expect(tokenizer.decode(ids) == text)
        }
    }

    @Test func noLearnedTokenIsSpelledLikeASpecial() throws {
        let tokenizer = try Self.trainedOnLookAlikes()
        let spellings = (0..<tokenizer.vocabularySize).filter { tokenizer.specialTokens.values.contains($0) == false }
            .compactMap { tokenizer.token(for: $0) }
        #expect(!spellings.contains("<eos>") && !spellings.contains("<unk>"))
        #expect(spellings.contains("Ġhello"))
    }

    @Test func decodingSkipsControlSpecialsUnlessAsked() throws {
        let tokenizer = try Self.trainedOnLookAlikes()
        let ids = [2] + tokenizer.encode("hi") + [1, 0, 3]
        #expect(tokenizer.decode(ids) == "hi<unk>")
        #expect(tokenizer.decode(ids, keepingSpecials: true) == "<bos>hi<unk><pad><eos>")
    }

    @Test func invalidSpecialsAreRejected() {
        #expect(throws: ByteLevelBPEError.invalidSpecialToken("<eos>")) {
            try ByteLevelBPE.train(texts: ["x"], vocabularySize: 300, specialTokens: ["<eos>", "<eos>"])
        }
        #expect(throws: ByteLevelBPEError.vocabularyTooSmall(requested: 257, minimum: 258)) {
            try ByteLevelBPE.train(texts: ["x"], vocabularySize: 257, specialTokens: ["<pad>", "<eos>"])
        }
    }
}
