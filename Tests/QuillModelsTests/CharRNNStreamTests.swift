import QuillTensor
import QuillTraining
import Testing

/// The token streams of truncated backpropagation through time: layout, continuity, passes and
/// evaluation coverage.
@Suite struct CharRNNStreamTests {
    /// Tokens 0, 1, 2, …, so every value is its own position.
    static func counting(_ count: Int) -> [Int32] { (0..<count).map(Int32.init) }

    @Test func eachRowContinuesThePreviousBatch() {
        var streams = TokenStreams(tokens: Self.counting(103), streamCount: 4, sequenceLength: 5)
        #expect(streams.streamLength == 25)
        #expect(streams.batchesPerEpoch == 4)
        let first = streams.nextBatch(), second = streams.nextBatch()
        #expect(first.startsPass && !second.startsPass)
        #expect(first.inputs.shape == [4, 5])
        #expect(Array(first.inputs.values[0..<5]) == [0, 1, 2, 3, 4])
        #expect(Array(first.inputs.values[5..<10]) == [25, 26, 27, 28, 29])
        #expect(Array(first.targets.values[0..<5]) == [1, 2, 3, 4, 5])
        #expect(Array(second.inputs.values[0..<5]) == [5, 6, 7, 8, 9])
        #expect(Array(second.inputs.values[15..<20]) == [80, 81, 82, 83, 84])
    }

    @Test func aNewPassStartsAtTheFrontWithAFreshState() {
        var streams = TokenStreams(tokens: Self.counting(64), streamCount: 2, sequenceLength: 7)
        let perEpoch = streams.batchesPerEpoch
        #expect(perEpoch == 4)
        for _ in 0..<perEpoch { _ = streams.nextBatch() }
        let again = streams.nextBatch()
        #expect(again.startsPass)
        #expect(streams.position.epoch == 1 && streams.position.batch == 1)
        #expect(Array(again.inputs.values[0..<7]) == [0, 1, 2, 3, 4, 5, 6])
    }

    @Test func restoringThePositionResumesTheSequence() {
        var original = TokenStreams(tokens: Self.counting(200), streamCount: 3, sequenceLength: 4)
        for _ in 0..<5 { _ = original.nextBatch() }
        var resumed = TokenStreams(tokens: Self.counting(200), streamCount: 3, sequenceLength: 4)
        resumed.position = original.position
        #expect(resumed.nextBatch().inputs == original.nextBatch().inputs)
    }

    struct EvaluationCase: CustomTestStringConvertible, Sendable {
        var name: String
        var tokens: Int
        var maxStreams: Int
        var sequenceLength: Int
        var testDescription: String { name }
    }

    @Test(arguments: [
        EvaluationCase(name: "long text, full streams", tokens: 1000, maxStreams: 4, sequenceLength: 16),
        EvaluationCase(name: "shorter than one batch", tokens: 30, maxStreams: 8, sequenceLength: 16),
        EvaluationCase(name: "two tokens", tokens: 2, maxStreams: 32, sequenceLength: 128),
        EvaluationCase(name: "three tokens", tokens: 3, maxStreams: 32, sequenceLength: 1),
    ])
    func evaluationPredictsEveryTokenOfEachStreamOnce(_ test: EvaluationCase) {
        let streams = TokenStreams.forEvaluation(tokens: Self.counting(test.tokens), maxStreams: test.maxStreams,
                                                 sequenceLength: test.sequenceLength)
        var targets: [Int32] = []
        for (index, batch) in streams.evaluationBatches().enumerated() {
            #expect(batch.startsPass == (index == 0))
            let length = batch.inputs.shape[1]
            for row in 0..<streams.streamCount {
                for t in 0..<length {
                    // Each target is the token after its input.
                    #expect(batch.targets[row, t] == batch.inputs[row, t] + 1)
                }
            }
            targets += batch.targets.values
        }
        #expect(targets.count == streams.evaluatedTokenCount)
        #expect(Set(targets).count == targets.count)
        #expect(streams.evaluatedTokenCount >= test.tokens - streams.streamCount - (test.tokens % streams.streamCount))
    }
}
