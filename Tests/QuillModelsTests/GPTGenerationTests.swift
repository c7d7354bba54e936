import Foundation
import Testing
@testable import QuillModels
import QuillTensor
import QuillText
import TestSupport

/// The key-value cache gives the same logits as running the whole context, and text streams out
/// whole characters, cut at stop strings.
@Suite struct GPTGenerationTests {
    static func model(blockSize: Int = 8, vocabularySize: Int = 13, seed: UInt64 = 4) -> GPT {
        var generator = RandomGenerator(seed: seed)
        let model = GPT(configuration: GPT.Configuration(layerCount: 2, headCount: 2, embeddingSize: 16, blockSize: blockSize,
                                                         bias: true, dropout: 0, vocabularySize: vocabularySize),
                        generator: &generator)
        model.setTraining(false)
        return model
    }

    /// The logits [V] at every position of `tokens`, from one full forward pass.
    static func fullLogits(_ model: GPT, _ tokens: [Int]) -> [[Float]] {
        var generator = RandomGenerator(seed: 0)
        let logits = withoutGradients { model(IndexTensor(tokens, shape: [1, tokens.count]), generator: &generator) }.toArray()
        let v = model.configuration.vocabularySize
        return (0..<tokens.count).map { Array(logits[$0 * v..<($0 + 1) * v]) }
    }

    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let chunks: [Int]
        var testDescription: String { name }
    }

    @Test(arguments: [
        Case(name: "one token at a time", chunks: [1, 1, 1, 1, 1, 1, 1, 1]),
        Case(name: "prefill then single tokens", chunks: [5, 1, 1, 1]),
        Case(name: "whole block at once", chunks: [8]),
    ])
    func cachedLogitsMatchTheFullForwardPass(_ c: Case) {
        let model = Self.model()
        let tokens = [3, 1, 4, 1, 5, 9, 2, 6]
        let expected = Self.fullLogits(model, tokens)
        let cache = GPTKeyValueCache(for: model)
        var position = 0
        for chunk in c.chunks {
            let logits = model.logits(appending: Array(tokens[position..<position + chunk]), to: cache).toArray()
            position += chunk
            #expect(worstRatio(logits, expected[position - 1], rtol: 1e-4, atol: 1e-5) <= 1, "after \(position) tokens")
        }
        #expect(cache.count == tokens.count)
    }

    @Test func contextSlidesPastTheBlockSize() {
        let model = Self.model()
        var seen: [Int] = []
        var lastLogits: [Float] = []
        model.generate(context: [1, 2, 3], maxTokens: 20, pick: { logits, history in
            seen = history
            lastLogits = Array(UnsafeBufferPointer(start: logits, count: 13))
            return history.count % 13
        }, onToken: { _ in true })
        // The last pick saw 22 tokens of history; after sliding, the model attended to the last 6 or more.
        #expect(seen.count == 22)
        let kept = (1...8).first { k in
            worstRatio(lastLogits, Self.fullLogits(model, Array(seen.suffix(k))).last!, rtol: 1e-4, atol: 1e-5) <= 1
        }
        #expect(kept.map { $0 >= 6 } ?? false, "logits match no suffix of at least 6 tokens")
    }

    static func characterModel(text: String) throws -> GPTTextModel {
        var builder = try VocabularyBuilder(settings: .defaults(for: .character))
        builder.add(text)
        let tokenizer = try TokenizerFile.tokenizer(for: builder.build())
        return try GPTTextModel(model: model(vocabularySize: tokenizer.vocabularySize), tokenizer: tokenizer, origin: "test")
    }

    static func generate(_ model: GPTTextModel, stopStrings: [String] = [], maxTokens: Int = 40,
                         seed: UInt64 = 11) throws -> (String, [String]) {
        var options = SamplingOptions()
        options.maxTokens = maxTokens
        options.stopStrings = stopStrings
        var generator = RandomGenerator(seed: seed)
        var pieces: [String] = []
        try model.generate(prompt: "ab", options: options, generator: &generator) { pieces.append($0); return true }
        return (pieces.joined(), pieces)
    }

    /// Beam search is for sentence VAEs: a GPT refuses it rather than quietly sampling.
    @Test func beamSearchIsRefused() throws {
        let model = try Self.characterModel(text: "abcdefg hij\n")
        var options = SamplingOptions()
        options.decoding = .beam
        var generator = RandomGenerator(seed: 0)
        #expect(throws: GPTError.beamSearch) {
            try model.generate(prompt: "ab", options: options, generator: &generator) { _ in true }
        }
    }

    @Test func stopsRightAfterTheFirstStopString() throws {
        let model = try Self.characterModel(text: "abcdefg hij\n")
        // An untrained model may draw <eos> early; take the first seed whose text runs long.
        let seed = try (UInt64(0)..<64).first { try Self.generate(model, seed: $0).0.count >= 30 }!
        let (free, _) = try Self.generate(model, seed: seed)
        let chars = Array(free)
        let stop = String(chars[20...21])
        let (stopped, _) = try Self.generate(model, stopStrings: [stop], seed: seed)
        let end = free.range(of: stop)!.upperBound
        #expect(stopped == String(free[..<end]))
    }

    @Test func streamingHoldsBackIncompleteUTF8() throws {
        let text = "春眠不覺曉，處處聞啼鳥。夜來風雨聲，花落知多少。"
        let tokenizer = try ByteLevelBPE.train(texts: [String(repeating: text, count: 4)], vocabularySize: 262)
        var stream = TextStream(tokenizer)
        var pieces: [String] = []
        for id in tokenizer.encode(text) { pieces.append(stream.feed(id)) }
        pieces.append(stream.flush())
        #expect(pieces.joined() == text)
        #expect(!pieces.joined().contains("\u{FFFD}"))
        #expect(pieces.contains(""), "some byte tokens end mid-character and are held back")
    }
}

/// The Tang-poem format check of `quill eval`.
@Suite struct GPTPoemFormatTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String, poem: String, regular: Bool
        var testDescription: String { name }
    }

    @Test(arguments: [
        Case(name: "five-character quatrain", poem: "床前明月光，疑是地上霜。舉頭望明月，低頭思故鄉。", regular: true),
        Case(name: "seven-character couplet", poem: "兩個黃鸝鳴翠柳，一行白鷺上青天。\n", regular: true),
        Case(name: "mixed lengths", poem: "月生暈，厚薄四方停。此是三軍均力象，順抱若神兵。", regular: false),
        Case(name: "four-character clauses", poem: "關關雎鳩，在河之洲。", regular: false),
        Case(name: "one clause", poem: "床前明月光。", regular: false),
        Case(name: "unpunctuated", poem: "床前明月光疑是地上霜", regular: false),
    ])
    func regularPoems(_ c: Case) {
        #expect(GPTTextModel.isRegularPoem(c.poem) == c.regular)
    }

    /// `quill eval` runs the check on a poetry corpus, with the poem count and temperature it is
    /// given, and not on prose.
    @Test func evaluationChecksTheFormatOfPoetryOnly() throws {
        let poetry = String(repeating: "床前明月光，疑是地上霜。舉頭望明月，低頭思故鄉。\n兩個黃鸝鳴翠柳，一行白鷺上青天。\n", count: 3)
        let prose = String(repeating: "The moon is bright before my bed; I take it for frost.\n", count: 3)
        let model = try GPTGenerationTests.characterModel(text: poetry + prose)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("quill-poems-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let poetryPath = directory.appendingPathComponent("poems.txt").path, prosePath = directory.appendingPathComponent("prose.txt").path
        try poetry.write(toFile: poetryPath, atomically: true, encoding: .utf8)
        try prose.write(toFile: prosePath, atomically: true, encoding: .utf8)

        let figures = try model.evaluate(corpusAt: poetryPath, options: CorpusEvaluationOptions(samples: 3, temperature: 0.5)) { _ in }
        #expect(figures["poems"] == 3)
        #expect(figures["poem_temperature"] == 0.5)
        #expect(figures["regular_poem_share"] == (try model.regularPoemShare(count: 3, temperature: 0.5)))

        let proseFigures = try model.evaluate(corpusAt: prosePath, options: CorpusEvaluationOptions(samples: 3)) { _ in }
        #expect(proseFigures["nats_per_token"] != nil)
        #expect(proseFigures["regular_poem_share"] == nil)
    }
}
