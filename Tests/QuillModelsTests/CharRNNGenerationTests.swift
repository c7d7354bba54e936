import QuillModels
import QuillTensor
import QuillText
import Testing

/// Sampling from a char-rnn: one grapheme cluster per piece, reproducible with a seed, and
/// stopping where it is told to.
@Suite struct CharRNNGenerationTests {
    static let text = "ab cd\nçé 春眠 👩‍👩‍👧 x\u{301}\r\nend"

    static func generator(cell: CharRNN.Configuration.Cell = .lstm) throws -> CharRNNGenerator {
        var builder = try VocabularyBuilder(settings: .defaults(for: .character))
        builder.add(text)
        let tokenizer = try CharacterTokenizer(vocabulary: builder.build())
        var random = RandomGenerator(seed: 9)
        let model = CharRNN(configuration: .init(cell: cell, vocabularySize: tokenizer.vocabularySize, embeddingSize: 6,
                                                 hiddenSize: 12, layerCount: 2, dropout: 0.2),
                            generator: &random)
        // Larger weights than the initialization, so samples vary from token to token.
        for parameter in model.parameters { for i in 0..<parameter.count { parameter.data[i] *= 4 } }
        return try CharRNNGenerator(model: model, tokenizer: tokenizer)
    }

    static func sample(_ generator: CharRNNGenerator, prompt: String = "ab", seed: UInt64, maxTokens: Int = 40,
                       stop: [String] = [], limit: Int = .max) throws -> [String] {
        var options = SamplingOptions()
        options.maxTokens = maxTokens
        options.stopStrings = stop
        var random = RandomGenerator(seed: seed)
        var pieces: [String] = []
        try generator.generate(prompt: prompt, options: options, generator: &random) { piece in
            pieces.append(piece)
            return pieces.count < limit
        }
        return pieces
    }

    @Test(arguments: [CharRNN.Configuration.Cell.lstm, .gru])
    func theSameSeedGivesTheSameText(cell: CharRNN.Configuration.Cell) throws {
        let generator = try Self.generator(cell: cell)
        let first = try Self.sample(generator, seed: 42), again = try Self.sample(generator, seed: 42)
        let other = try Self.sample(generator, seed: 43)
        #expect(first == again)
        #expect(first != other)
        #expect(first.count == 40)
    }

    @Test func everyPieceIsOneGraphemeClusterOfTheVocabulary() throws {
        let generator = try Self.generator()
        let known = Set(Self.text.map(String.init))
        for seed in 0..<5 {
            for piece in try Self.sample(generator, prompt: "", seed: UInt64(seed)) {
                #expect(piece.count == 1, "\(piece.unicodeScalars.map(\.value)) is not one character")
                #expect(known.contains(piece), "sampled \(piece.debugDescription), which is not in the corpus (a special?)")
            }
        }
    }

    @Test func generationStopsAtAStopStringOrWhenTheCallerSaysSo() throws {
        let generator = try Self.generator()
        let full = try Self.sample(generator, seed: 7)
        let stop = full[5]
        let end = full.firstIndex(of: stop)!
        #expect(try Self.sample(generator, seed: 7, stop: [stop]) == Array(full[...end]))
        #expect(try Self.sample(generator, seed: 7, limit: 3) == Array(full[..<3]))
        #expect(try Self.sample(generator, seed: 7, maxTokens: 1) == [full[0]])
    }

    @Test func beamSearchIsRefused() throws {
        var options = SamplingOptions()
        options.decoding = .beam
        var random = RandomGenerator(seed: 1)
        #expect(throws: CharRNNError.beamSearch) {
            try Self.generator().generate(prompt: "a", options: options, generator: &random) { _ in true }
        }
    }

    @Test func greedyDecodingIsDeterministicWithoutASeed() throws {
        let generator = try Self.generator()
        var options = SamplingOptions()
        options.decoding = .greedy
        options.maxTokens = 15
        var outputs: [[String]] = []
        for seed in [UInt64(1), 2] {
            var random = RandomGenerator(seed: seed)
            var pieces: [String] = []
            try generator.generate(prompt: "春", options: options, generator: &random) { pieces.append($0); return true }
            outputs.append(pieces)
        }
        #expect(outputs[0] == outputs[1])
    }
}
