import Foundation
import QuillModels
import QuillTraining
import Testing
import TestSupport

/// The bounded evaluation during training (`--eval-tokens`): a fixed, even sample of the
/// validation split, the same at every evaluation.
@Suite struct EvaluationSampleTests {
    @Test func tokenPiecesAreEvenlySpacedFromTheFirstTokenToTheLast() {
        let tokens = (0..<10_000).map(Int32.init)
        let sample = EvaluationSample.tokens(tokens, budget: 1_000, pieces: 4)
        #expect(sample.count == 1_000)
        // Four runs of 250: at 0, 3250, 6500 and 9750, the last ending with the split.
        #expect([0, 250, 500, 750].map { sample[$0] } == [0, 3_250, 6_500, 9_750])
        #expect(sample.last == 9_999)
        for piece in 0..<4 {
            let run = sample[piece * 250..<(piece + 1) * 250]
            #expect(zip(run, run.dropFirst()).allSatisfy { $1 == $0 + 1 }, "piece \(piece) is consecutive text")
        }
        #expect(EvaluationSample.tokens(tokens, budget: 20_000, pieces: 4) == tokens, "a split within the budget is read whole")
        #expect(EvaluationSample.tokens(tokens, budget: nil, pieces: 4) == tokens)
    }

    @Test func sentencesAreWholeEvenlyTakenAndWithinTheBudget() {
        let sentences = (0..<1_000).map { index in Array(repeating: index, count: 1 + index % 7) }
        let total = EvaluationSample.tokenCount(sentences)
        let sample = EvaluationSample.sentences(sentences, budget: total / 10)
        #expect(EvaluationSample.tokenCount(sample) <= total / 10)
        #expect(EvaluationSample.tokenCount(sample) > total / 12)
        #expect(sample.allSatisfy { sentences[$0[0]] == $0 }, "whole sentences")
        let first = sample.first![0], last = sample.last![0]
        #expect(first < 20 && last > 980, "spread over the split: \(first) to \(last)")
        #expect(EvaluationSample.sentences(sentences, budget: total) == sentences)
        #expect(EvaluationSample.sentences(sentences, budget: 1) == [sentences[0]], "at least one sentence")
    }

    /// A char-rnn whose validation text is far longer than the budget: every evaluation reads
    /// the same sample, so two evaluations of the same weights agree to the last bit.
    @Test func aBoundedEvaluationGivesTheSameFigureAtEveryCall() throws {
        let scratch = try ScratchDirectory("quill-eval-sample")
        let corpus = try scratch.write(String(repeating: "to be or not to be, that is the question\n", count: 200),
                                       to: "corpus.txt")
        let task = try CharRNNTrainingTests.start(corpus: corpus, validationFraction: 0.5, evaluationTokens: 300)
        let first = try task.evaluate(), second = try task.evaluate()
        #expect(first == second)
        let tokens = try #require(first["val_tokens"])
        #expect(tokens > 200 && tokens <= 300, "\(tokens) validation tokens read")
        let whole = try CharRNNTrainingTests.start(corpus: corpus, validationFraction: 0.5)
        #expect(try whole.evaluate()["val_tokens"]! > 3_000)
    }
}
