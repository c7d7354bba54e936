import Foundation
import QuillNN
import QuillTensor
import Testing

/// The decoder's fused output layer against a plain double-precision log-softmax: per-row
/// log-likelihoods in chunks of any size, and the summed cross-entropy the training step uses.
@Suite struct VocabularyProjectionTests {
    static let rows = 11, hidden = 6, vocabulary = 13

    /// Random input [N, H], weight [V, H], bias [V] and targets [N].
    static func problem(seed: UInt64) -> (input: Tensor, weight: Tensor, bias: Tensor, targets: [Int]) {
        var generator = RandomGenerator(seed: seed)
        let input = Tensor.normal([rows, hidden], using: &generator)
        let weight = Tensor.normal([vocabulary, hidden], using: &generator)
        let bias = Tensor.normal([vocabulary], using: &generator)
        let targets = (0..<rows).map { _ in generator.nextInt(below: vocabulary) }
        return (input, weight, bias, targets)
    }

    /// log softmax(x_r · Wᵀ + b)[t_r] for every row, in Double.
    static func reference(_ input: Tensor, _ weight: Tensor, _ bias: Tensor, _ targets: [Int]) -> [Double] {
        let x = input.toArray(), w = weight.toArray(), b = bias.toArray()
        return (0..<rows).map { r in
            let logits = (0..<vocabulary).map { v in
                Double(b[v]) + (0..<hidden).reduce(0.0) { $0 + Double(x[r * hidden + $1]) * Double(w[v * hidden + $1]) }
            }
            let maximum = logits.max()!
            return logits[targets[r]] - maximum - log(logits.reduce(0.0) { $0 + exp($1 - maximum) })
        }
    }

    @Test("chunked log-likelihoods match the reference", arguments: [1, 4, 11, 512])
    func chunkedLogLikelihoods(chunk: Int) {
        let (input, weight, bias, targets) = Self.problem(seed: 3)
        let ids = IndexTensor(targets.map(Int32.init), shape: [Self.rows])
        let computed = VocabularyProjection.logLikelihoods(input, weight: weight, bias: bias, targets: ids, chunk: chunk)
        for (value, expected) in zip(computed, Self.reference(input, weight, bias, targets)) {
            #expect(abs(Double(value) - expected) < 1e-4)
        }
    }

    @Test func summedCrossEntropyIsTheNegatedSumOfLogLikelihoods() {
        let (input, weight, bias, targets) = Self.problem(seed: 5)
        let ids = IndexTensor(targets.map(Int32.init), shape: [Self.rows])
        let loss = withoutGradients {
            VocabularyProjection.summedCrossEntropy(input, weight: weight, bias: bias, targets: ids)
        }
        let expected = -Self.reference(input, weight, bias, targets).reduce(0, +)
        #expect(abs(Double(loss.scalar) - expected) < 1e-3)
    }
}
