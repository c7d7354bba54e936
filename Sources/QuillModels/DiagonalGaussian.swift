#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import QuillNN
import QuillTensor

/// A batch of diagonal Gaussians N(mean, exp(logVariance)), each [B, Z]: the posteriors and
/// learned priors of the sentence VAEs. Tensor methods record on the tape; the `Float` ones
/// serve evaluation.
public struct DiagonalGaussian {
    /// The means [B, Z].
    public var mean: Tensor
    /// The log-variances [B, Z].
    public var logVariance: Tensor

    /// Creates a Gaussian from its mean and log-variance [B, Z].
    public init(mean: Tensor, logVariance: Tensor) {
        precondition(mean.shape == logVariance.shape, "Gaussian mean \(mean.shape) and log-variance \(logVariance.shape) differ")
        self.mean = mean
        self.logVariance = logVariance
    }

    /// Splits `parameters` [B, 2Z] into the mean (first half) and log-variance (second half).
    init(splitting parameters: Tensor) {
        let z = parameters.shape[1] / 2
        self.init(mean: parameters.sliced(axis: 1, range: 0..<z), logVariance: parameters.sliced(axis: 1, range: z..<(2 * z)))
    }

    /// These Gaussians with their means batch-normalized by `norm` (BN-VAE), or unchanged
    /// when there is none.
    func normalizingMeans(with norm: MeanBatchNorm?, training: Bool) -> DiagonalGaussian {
        guard let norm else { return self }
        return DiagonalGaussian(mean: norm(mean, training: training), logVariance: logVariance)
    }

    /// The standard normal N(0, I) of `shape`.
    static func standard(_ shape: [Int]) -> DiagonalGaussian {
        DiagonalGaussian(mean: Tensor.zeros(shape), logVariance: Tensor.zeros(shape))
    }

    /// mean + exp(logVariance / 2) ⊙ `noise` [B, Z]: a reparameterized sample, differentiable
    /// in the mean and log-variance (Kingma & Welling 2014).
    public func sample(noise: Tensor) -> Tensor {
        mean + (logVariance * 0.5).exp() * noise
    }

    /// KL(self ‖ N(0, I)) per dimension [B, Z]: ½(μ² + σ² − 1 − log σ²).
    public func klDivergenceFromStandardNormal() -> Tensor {
        (mean * mean + logVariance.exp() - logVariance - 1) * 0.5
    }

    /// KL(self ‖ `prior`) per dimension [B, Z]:
    /// ½(log σ_p² − log σ_q² + (σ_q² + (μ_q − μ_p)²) / σ_p² − 1).
    public func klDivergence(from prior: DiagonalGaussian) -> Tensor {
        let difference = mean - prior.mean
        let ratio = (logVariance.exp() + difference * difference) / prior.logVariance.exp()
        return (prior.logVariance - logVariance + ratio - 1) * 0.5
    }

    /// The precision-weighted combination of a bottom-up estimate (`self`) with a top-down prior,
    /// the Ladder VAE's posterior (Sønderby et al. 2016, eq. 18–19):
    /// σ⁻² = σ̂⁻² + σ_p⁻², μ = (μ̂ σ̂⁻² + μ_p σ_p⁻²) σ².
    public func precisionWeighted(with prior: DiagonalGaussian) -> DiagonalGaussian {
        let precision = (-logVariance).exp(), priorPrecision = (-prior.logVariance).exp()
        let total = precision + priorPrecision
        let mean = (self.mean * precision + prior.mean * priorPrecision) / total
        return DiagonalGaussian(mean: mean, logVariance: -total.log())
    }

    /// The Gaussians of the rows in `range`, as views.
    func rows(_ range: Range<Int>) -> DiagonalGaussian {
        DiagonalGaussian(mean: mean.sliced(axis: 0, range: range), logVariance: logVariance.sliced(axis: 0, range: range))
    }

    /// Each row repeated `count` times in a row (rows b·count + k), for importance sampling.
    func repeatingEach(_ count: Int) -> DiagonalGaussian {
        let rows = IndexTensor((0..<mean.shape[0] * count).map { Int32($0 / count) }, shape: [mean.shape[0] * count])
        return DiagonalGaussian(mean: mean.gathering(rows, alongAxis: 0), logVariance: logVariance.gathering(rows, alongAxis: 0))
    }

    /// log N(`x` | mean, σ²) summed over dimensions, one value per row [B] for `x` [B, Z].
    func logDensity(of x: Tensor) -> [Double] {
        let z = mean.shape[1]
        let xs = x.toArray(), means = mean.toArray(), logVariances = logVariance.toArray()
        return (0..<mean.shape[0]).map { b in
            var total = -0.5 * Double(z) * log(2 * Double.pi)
            for d in 0..<z {
                let i = b * z + d
                let deviation = Double(xs[i] - means[i])
                total -= 0.5 * (Double(logVariances[i]) + deviation * deviation / exp(Double(logVariances[i])))
            }
            return total
        }
    }

    /// log N(`latents`[m] | mean_b, σ_b²) for every row m of `latents` [M, Z] under every
    /// Gaussian b of the batch, as [M][B]: the aggregate-posterior terms of the MI estimator.
    func pairwiseLogDensities(of latents: Tensor) -> [[Double]] {
        let B = mean.shape[0], Z = mean.shape[1], M = latents.shape[0]
        precondition(latents.shape == [M, Z], "latents \(latents.shape) do not have \(Z) dimensions")
        let xs = latents.toArray(), means = mean.toArray(), logVariances = logVariance.toArray()
        let inverseVariances = logVariances.map { exp(-Double($0)) }
        let normalizers = (0..<B).map { b in
            -0.5 * (Double(Z) * log(2 * Double.pi) + logVariances[(b * Z)..<((b + 1) * Z)].reduce(0) { $0 + Double($1) })
        }
        return (0..<M).map { m in
            (0..<B).map { b in
                var total = normalizers[b]
                for d in 0..<Z {
                    let deviation = Double(xs[m * Z + d] - means[b * Z + d])
                    total -= 0.5 * deviation * deviation * inverseVariances[b * Z + d]
                }
                return total
            }
        }
    }
}

/// log (1/n) Σ e^{x_i}, computed stably in Double.
func logMeanExp(_ values: ArraySlice<Double>) -> Double {
    guard let maximum = values.max(), maximum > -.infinity else { return -.infinity }
    let total = values.reduce(0.0) { $0 + exp($1 - maximum) }
    return maximum + log(total / Double(values.count))
}
