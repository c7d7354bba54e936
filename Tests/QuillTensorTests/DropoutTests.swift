import Testing
import QuillTensor
import TestSupport

@Suite struct DropoutTests {
    @Test func sameSeedDropsSameElements() {
        let x = Tensor.ones([4, 33])
        var first = RandomGenerator(seed: 99), second = RandomGenerator(seed: 99), other = RandomGenerator(seed: 100)
        let a = x.dropout(probability: 0.5, isTraining: true, using: &first).toArray()
        let b = x.dropout(probability: 0.5, isTraining: true, using: &second).toArray()
        let c = x.dropout(probability: 0.5, isTraining: true, using: &other).toArray()
        #expect(a == b)
        #expect(a != c)
    }

    struct NoOpCase: CustomTestStringConvertible, Sendable {
        let name: String
        let probability: Float
        let isTraining: Bool
        var testDescription: String { name }
    }

    @Test(arguments: [
        NoOpCase(name: "inference", probability: 0.5, isTraining: false),
        NoOpCase(name: "zero probability while training", probability: 0, isTraining: true),
    ])
    func noOpReturnsInputAndRecordsNothing(_ c: NoOpCase) {
        let x = Tensor([1, 2, 3], requiresGrad: true)
        var generator = RandomGenerator(seed: 1)
        Tape.clear()
        let y = x.dropout(probability: c.probability, isTraining: c.isTraining, using: &generator)
        #expect(y === x)
        #expect(Tape.count == 0)
        var untouched = RandomGenerator(seed: 1)
        #expect(generator.next() == untouched.next())
    }

    @Test(arguments: [Float(0.1), 0.3, 0.75])
    func keptElementsAreScaledAndRateIsClose(_ probability: Float) {
        var generator = RandomGenerator(seed: 5)
        let x = Tensor.uniform([10_000], low: 1, high: 2, using: &generator)
        let y = x.dropout(probability: probability, isTraining: true, using: &generator).toArray()
        let values = x.toArray()
        var dropped = 0
        for (input, output) in zip(values, y) {
            if output == 0 { dropped += 1 } else { #expect(isClose(output, input / (1 - probability), rtol: 1e-6)) }
        }
        // 10,000 Bernoulli draws: the standard deviation of the rate is below 0.005.
        #expect(abs(Float(dropped) / 10_000 - probability) < 0.02, "dropped \(dropped) of 10000")
    }

    @Test func probabilityOneDropsEverything() {
        var generator = RandomGenerator(seed: 2)
        let y = Tensor.ones([9]).dropout(probability: 1, isTraining: true, using: &generator)
        #expect(y.toArray() == [Float](repeating: 0, count: 9))
    }

    @Test func gradientMatchesFiniteDifferences() {
        var generator = RandomGenerator(seed: 8)
        let x = Tensor.uniform([3, 7], low: -1, high: 1, using: &generator)
        let result = checkGradients([x]) { t in
            var seeded = RandomGenerator(seed: 77)
            return t[0].dropout(probability: 0.4, isTraining: true, using: &seeded)
        }
        #expect(result.passed, "\(result)")
    }

    @Test func gradientIsMaskedUpstream() {
        let x = Tensor.ones([64], requiresGrad: true)
        var generator = RandomGenerator(seed: 4)
        let y = x.dropout(probability: 0.5, isTraining: true, using: &generator)
        y.backward(gradient: Tensor.ones([64]))
        #expect(x.grad!.toArray() == y.toArray())
    }
}
