import Testing
import QuillTensor
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

@Suite struct CrossEntropyTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let shape: [Int]
        let targets: [Int]
        let ignoreIndex: Int?
        let reduction: LossReduction
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "mean", shape: [4, 7], targets: [0, 6, 3, 3], ignoreIndex: nil, reduction: .mean),
        Case(name: "sum", shape: [4, 7], targets: [1, 2, 5, 0], ignoreIndex: nil, reduction: .sum),
        Case(name: "none", shape: [4, 7], targets: [6, 6, 0, 2], ignoreIndex: nil, reduction: .none),
        Case(name: "mean with padding id 0", shape: [2, 3, 11], targets: [3, 0, 10, 0, 0, 7], ignoreIndex: 0, reduction: .mean),
        Case(name: "sum with ignore -100", shape: [2, 3, 9], targets: [-100, 4, 8, 1, -100, 0], ignoreIndex: -100, reduction: .sum),
        Case(name: "none with ignore -100", shape: [3, 17], targets: [16, -100, 9], ignoreIndex: -100, reduction: .none),
    ]

    @Test(arguments: cases)
    func gradientMatchesFiniteDifferences(_ c: Case) {
        var generator = RandomGenerator(seed: 17)
        let logits = Tensor.uniform(c.shape, low: -2, high: 2, using: &generator)
        let targets = IndexTensor(c.targets, shape: Array(c.shape.dropLast()))
        let result = checkGradients([logits]) {
            $0[0].crossEntropy(targets: targets, ignoreIndex: c.ignoreIndex, reduction: c.reduction)
        }
        #expect(result.passed, "\(result)")
    }

    @Test(arguments: cases)
    func lossMatchesDoubleReference(_ c: Case) {
        var generator = RandomGenerator(seed: 23)
        let logits = Tensor.uniform(c.shape, low: -3, high: 3, using: &generator)
        let targets = IndexTensor(c.targets, shape: Array(c.shape.dropLast()))
        let loss = logits.crossEntropy(targets: targets, ignoreIndex: c.ignoreIndex, reduction: c.reduction)
        let perRow = referenceLosses(logits.toArray(), classes: c.shape.last!, targets: c.targets, ignoreIndex: c.ignoreIndex)
        let counted = c.targets.filter { $0 != c.ignoreIndex }.count
        switch c.reduction {
        case .none:
            #expect(loss.shape == targets.shape)
            #expect(allClose(loss.toArray(), perRow.map { Float($0) }, rtol: 1e-5, atol: 1e-6))
        case .sum:
            #expect(loss.shape == [])
            #expect(isClose(loss.scalar, Float(perRow.reduce(0, +)), rtol: 1e-5))
        case .mean:
            #expect(isClose(loss.scalar, Float(perRow.reduce(0, +) / Double(counted)), rtol: 1e-5))
        }
    }

    /// The second loss on the same logits adds to the gradient the first one wrote.
    @Test func gradientAccumulatesAcrossTwoLosses() {
        var generator = RandomGenerator(seed: 43)
        let logits = Tensor.uniform([3, 10], low: -2, high: 2, using: &generator)
        let result = checkGradients([logits]) {
            $0[0].crossEntropy(targets: IndexTensor([1, 9, 4]), reduction: .sum)
                + $0[0].crossEntropy(targets: IndexTensor([0, -1, 4]), ignoreIndex: -1)
        }
        #expect(result.passed, "\(result)")
    }

    /// Padding rows add nothing to the loss or the gradient: the loss equals the loss over the
    /// unpadded rows alone, and their gradient rows are zero.
    @Test func paddingRowsContributeNothing() {
        var generator = RandomGenerator(seed: 31)
        let classes = 6
        let logits = Tensor.uniform([5, classes], low: -2, high: 2, using: &generator, requiresGrad: true)
        let targets = [2, 0, 5, 0, 1]
        let padded = logits.crossEntropy(targets: IndexTensor(targets), ignoreIndex: 0)
        padded.backward()
        let kept = [0, 2, 4]
        let values = logits.toArray()
        let subset = Tensor(kept.flatMap { values[($0 * classes)..<(($0 + 1) * classes)] }, shape: [kept.count, classes])
        let unpadded = subset.crossEntropy(targets: IndexTensor(kept.map { targets[$0] }))
        #expect(isClose(padded.scalar, unpadded.scalar, rtol: 1e-6))
        let grad = logits.grad!.toArray()
        #expect(Array(grad[(1 * classes)..<(2 * classes)]).allSatisfy { $0 == 0 })
        #expect(Array(grad[(3 * classes)..<(4 * classes)]).allSatisfy { $0 == 0 })
        // Each counted row's gradient is (softmax − onehot) / 3 and sums to zero.
        #expect(abs(grad[0..<classes].reduce(0, +)) < 1e-6)
        #expect(isClose(grad[2], (values.softmaxRow(0, classes)[2] - 1) / 3, rtol: 1e-5))
    }

    @Test func allPaddingGivesZeroLossAndNoGradient() {
        let logits = Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3], requiresGrad: true)
        Tape.clear()
        let loss = logits.crossEntropy(targets: IndexTensor([-100, -100]), ignoreIndex: -100)
        #expect(loss.scalar == 0)
        #expect(Tape.count == 0)
    }

    @Test func matchesLogSoftmaxComposition() {
        var generator = RandomGenerator(seed: 37)
        let logits = Tensor.uniform([3, 8], low: -2, high: 2, using: &generator)
        let targets = [7, 0, 3]
        let fused = logits.crossEntropy(targets: IndexTensor(targets), reduction: .none).toArray()
        let logProbabilities = logits.logSoftmax()
        for (row, target) in targets.enumerated() {
            #expect(isClose(fused[row], -logProbabilities[row, target], rtol: 1e-5))
        }
    }

    /// A [48, 2000] output layer is large enough to split rows across threads.
    @Test func wideVocabularyGradientMatchesReference() {
        let rows = 48, classes = 2000
        var generator = RandomGenerator(seed: 41)
        let logits = Tensor.uniform([rows, classes], low: -4, high: 4, using: &generator, requiresGrad: true)
        let targets = (0..<rows).map { $0 % 5 == 0 ? -1 : generator.nextInt(below: classes) }
        let loss = logits.crossEntropy(targets: IndexTensor(targets), ignoreIndex: -1, reduction: .mean)
        loss.backward()
        let values = logits.toArray()
        let counted = Double(targets.filter { $0 >= 0 }.count)
        var expected = [Float](repeating: 0, count: rows * classes)
        for (r, target) in targets.enumerated() where target >= 0 {
            let p = values.softmaxRow(r, classes)
            for j in 0..<classes { expected[r * classes + j] = Float(Double(p[j] - (j == target ? 1 : 0)) / counted) }
        }
        let reference = referenceLosses(values, classes: classes, targets: targets, ignoreIndex: -1).reduce(0, +) / counted
        #expect(isClose(loss.scalar, Float(reference), rtol: 1e-5))
        let ratio = worstRatio(logits.grad!.toArray(), expected, rtol: 1e-4, atol: 1e-8)
        #expect(ratio <= 1, "worst ratio \(ratio)")
    }
}

/// −log softmax(row)[target] per row in Double, 0 for ignored rows.
private func referenceLosses(_ values: [Float], classes: Int, targets: [Int], ignoreIndex: Int?) -> [Double] {
    targets.enumerated().map { r, target in
        if target == ignoreIndex { return 0 }
        let row = values[(r * classes)..<((r + 1) * classes)].map(Double.init)
        let m = row.max()!
        return m + Glibc.log(row.reduce(0) { $0 + Glibc.exp($1 - m) }) - row[target]
    }
}

private extension Array where Element == Float {
    /// The softmax of row `r` of a [rows, classes] array, computed in Double.
    func softmaxRow(_ r: Int, _ classes: Int) -> [Float] {
        let row = self[(r * classes)..<((r + 1) * classes)].map(Double.init)
        let m = row.max()!
        let total = row.reduce(0) { $0 + Glibc.exp($1 - m) }
        return row.map { Float(Glibc.exp($0 - m) / total) }
    }
}
