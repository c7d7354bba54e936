import Foundation
import QuillModels
import QuillTensor
import QuillTraining
import Testing
import TestSupport

/// The README's claim that a warm training step asks the system for no tensor memory: after
/// warm-up, a step of each model kind takes every buffer it needs from the pool.
@Suite struct WarmStepAllocationTests {
    /// Sentences of one length, so every batch has the same shapes, as in a bucket of a real run.
    static let sentences = [[4, 5, 6, 7, 8], [9, 10, 11, 12, 4], [6, 4, 11, 9, 7], [12, 8, 5, 10, 6]]

    static func task(_ kind: ModelKind, scratch: ScratchDirectory) throws -> any TrainingTask {
        switch kind {
        case .charRNN:
            let corpus = try scratch.write(String(repeating: "to be or not to be, that is the question\n", count: 8),
                                           to: "corpus.txt")
            let data = try CharRNNData.load(corpus: corpus, validation: nil, tokenizer: nil, validationFraction: 0.1,
                                            replacingInvalidUTF8: false)
            var options = CharRNNTrainingOptions()
            options.batchSize = 2
            options.sequenceLength = 8
            options.gradientClip = 1
            let configuration = CharRNN.Configuration(cell: .lstm, vocabularySize: 0, embeddingSize: 4, hiddenSize: 9,
                                                      layerCount: 2, dropout: 0.2)
            return try CharRNNTrainingTask.start(configuration: configuration, options: options, data: data, corpus: corpus,
                                                 seed: 1)
        case .gpt:
            return try GPTTrainingTask(configuration: GPTTrainingTests.configuration, tokenizer: GPTTrainingTests.tokenizer(),
                                       trainTokens: GPTTrainingTests.tokens(200, seed: 1),
                                       validTokens: GPTTrainingTests.tokens(50, seed: 2), options: GPTTrainingTests.options(),
                                       seed: 1)
        case .vae, .hvae, .lm:
            let configuration = SentenceModelConfiguration(cell: kind == .hvae ? .gru : .lstm, vocabularySize: 13,
                                                           embeddingSize: 4, hiddenSize: 9, latentSize: 3,
                                                           levels: [.vae: 1, .hvae: 2, .lm: 0][kind]!, dropout: 0.2)
            var options = SentenceTrainingOptions()
            options.batchSize = 2
            options.wordDropout = 0.25
            options.freeBits = 0.05
            return try SentenceTrainingTask(model: VAETestSupport.model(kind, configuration), train: Self.sentences,
                                            validation: Self.sentences, options: options, seed: 1)
        }
    }

    /// The task runs on a pool of its own, so tests running beside it on the shared pool neither
    /// take its buffers nor push them out: after three warm-up steps, a step takes every buffer
    /// from the pool, and the pool frees none to make room.
    @Test(arguments: ModelKind.allCases)
    func aWarmTrainingStepTakesNoNewBuffers(_ kind: ModelKind) throws {
        let scratch = try ScratchDirectory("quill-allocations")
        let pool = BufferPool()
        try BufferPool.using(pool) {
            let task = try Self.task(kind, scratch: scratch)
            for step in 0..<3 { _ = try task.trainStep(step: step, elapsed: 0) }
            let (allocations, evictions) = (pool.systemAllocations, pool.evictions)
            for step in 3..<6 { _ = try task.trainStep(step: step, elapsed: 0) }
            #expect(pool.systemAllocations == allocations,
                    "three warm \(kind.rawValue) steps took \(pool.systemAllocations - allocations) new buffers from the system")
            #expect(pool.evictions == evictions)
            #expect(pool.allocatedByteCount <= pool.peakLiveByteCount + pool.peakLiveByteCount / 2)
        }
    }
}
