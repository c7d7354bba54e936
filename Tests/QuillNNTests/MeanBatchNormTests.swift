import QuillNN
import QuillTensor
import Testing
import TestSupport

/// The fixed-scale batch normalization of posterior means (BN-VAE).
@Suite struct MeanBatchNormTests {
    /// Means [6, 3] with different centres and spreads per dimension.
    static func means() -> Tensor {
        Tensor([0.5, -2, 10, 1.5, -2.5, 12, -0.5, -1, 9, 2, -3, 11, 0, -2, 10.5, 1, -1.5, 9.5], shape: [6, 3])
    }

    @Test func trainingGivesEveryDimensionTheFixedSpreadAndTheLearnedCentre() {
        let norm = MeanBatchNorm(size: 3, scale: 0.6)
        norm.shift.data.update(from: [0.1, -0.2, 0.3], count: 3)
        let out = withoutGradients { norm(Self.means(), training: true) }.toArray()
        for d in 0..<3 {
            let column = (0..<6).map { Double(out[$0 * 3 + d]) }
            let mean = column.reduce(0, +) / 6
            let variance = column.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 6
            #expect(abs(mean - [0.1, -0.2, 0.3][d]) < 1e-5, "dimension \(d): centre \(mean)")
            // ε = 10⁻⁵ shrinks the spread a little below γ = 0.6 when a batch variance is small.
            #expect(abs(variance.squareRoot() - 0.6) < 1e-3, "dimension \(d): spread \(variance.squareRoot())")
        }
    }

    @Test func runningStatisticsFollowTheBatchesAndServeEvaluation() {
        let norm = MeanBatchNorm(size: 3, scale: 0.5)
        let means = Self.means()
        _ = withoutGradients { norm(means, training: true) }
        let values = means.toArray()
        for d in 0..<3 {
            let column = (0..<6).map { values[$0 * 3 + d] }
            let mean = column.reduce(0, +) / 6
            let unbiased = column.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 5
            #expect(abs(norm.runningMean.toArray()[d] - 0.1 * mean) < 1e-5)
            #expect(abs(norm.runningVariance.toArray()[d] - (0.9 + 0.1 * unbiased)) < 1e-5)
        }
        // Evaluation, and a training batch of one row, use the running statistics and leave them alone.
        let row = means.sliced(axis: 0, range: 0..<1)
        let expected = (0..<3).map { d in
            0.5 * (values[d] - norm.runningMean.toArray()[d]) / (norm.runningVariance.toArray()[d] + 1e-5).squareRoot()
        }
        let before = norm.runningMean.toArray()
        for training in [false, true] {
            let out = withoutGradients { norm(row, training: training) }.toArray()
            for d in 0..<3 { #expect(abs(out[d] - expected[d]) < 1e-5, "training \(training), dimension \(d)") }
        }
        #expect(norm.runningMean.toArray() == before)
    }

    @Test func gradientsMatchFiniteDifferences() {
        let norm = MeanBatchNorm(size: 3, scale: 0.7)
        let result = checkGradients([Self.means(), norm.shift]) { inputs in
            norm(inputs[0], training: true)
        }
        #expect(result.passed, "\(result)")
        #expect(!norm.runningMean.requiresGrad && !norm.runningVariance.requiresGrad)
    }
}
