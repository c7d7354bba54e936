@testable import QuillModels
import QuillTensor
import Testing
import TestSupport

/// Padding must change nothing: the same sentences padded to more steps give the same loss
/// terms and the same gradients, for every model and conditioning.
@Suite struct VAEMaskingTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let kind: ModelKind
        let configuration: SentenceModelConfiguration
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "vae lstm initial-state", kind: .vae, configuration: VAETestSupport.configuration()),
        Case(name: "vae gru concat bidirectional", kind: .vae,
             configuration: VAETestSupport.configuration(cell: .gru, bidirectional: true, conditioning: .concat)),
        Case(name: "vae gru tied embeddings", kind: .vae,
             configuration: VAETestSupport.configuration(cell: .gru, embeddingSize: 9, tiesEmbeddings: true)),
        Case(name: "hvae lstm 3 levels, all levels to the decoder", kind: .hvae,
             configuration: VAETestSupport.configuration(levels: 3, decoderLatents: .all)),
        Case(name: "lm gru", kind: .lm, configuration: VAETestSupport.configuration(cell: .gru, latentSize: 0, levels: 0)),
    ]

    /// The loss terms and every parameter's gradient for the fixed sentences padded to `steps`.
    static func run(_ model: any SentenceModel, steps: Int?) -> (values: [Float], gradients: [[Float]]) {
        let batch = SentenceBatch(sentences: VAETestSupport.sentences, steps: steps)
        var generator = RandomGenerator(seed: 42)
        let terms = model.lossTerms(for: batch, wordDropout: 0, generator: &generator)
        let objective = terms.objective(klWeight: 0.5, beta: 1, freeBits: 0)
        model.zeroGradients()
        objective.backward()
        let values = [terms.reconstruction.scalar] + terms.klPerDimension.flatMap { $0.toArray() }
        return (values, model.parameters.map { $0.grad?.toArray() ?? [] })
    }

    @Test(arguments: cases)
    func extraPaddingChangesNothing(_ c: Case) {
        let model = VAETestSupport.model(c.kind, c.configuration)
        let tight = Self.run(model, steps: nil)
        let padded = Self.run(model, steps: 9)
        #expect(worstRatio(padded.values, tight.values, rtol: 1e-6, atol: 1e-6) <= 1)
        for (a, b) in zip(padded.gradients, tight.gradients) {
            #expect(a.count == b.count && worstRatio(a, b, rtol: 1e-5, atol: 1e-6) <= 1)
        }
    }

    @Test func batchLayoutSkipsPadding() {
        let batch = SentenceBatch(sentences: [[4, 5], [6]], steps: 5)
        #expect(batch.lengths == [3, 2])
        #expect(batch.targets.values == [4, 5, 3, 0, 0, 6, 3, 0, 0, 0])
        #expect(batch.decoderInput.values == [2, 4, 5, 0, 0, 2, 6, 0, 0, 0])
        #expect(batch.tokenRows.values == [0, 1, 2, 5, 6])
        #expect(batch.rowTargets.values == [4, 5, 3, 6, 3])
        #expect(batch.tokenCount == 5)
    }

    @Test func wordDropoutReplacesOnlyWords() {
        let batch = SentenceBatch(sentences: [[4, 5, 6, 7], [8]], steps: 7)
        var generator = RandomGenerator(seed: 1)
        let all = batch.decoderInputDroppingWords(rate: 1, generator: &generator)
        #expect(all.values == [2, 1, 1, 1, 1, 0, 0, 2, 1, 0, 0, 0, 0, 0])
        #expect(batch.decoderInputDroppingWords(rate: 0, generator: &generator) == batch.decoderInput)
    }
}
