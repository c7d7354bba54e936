import QuillTensor

/// Batch normalization with a fixed scale, for the means of a VAE's posterior (BN-VAE; Zhu et
/// al. 2020, "A Batch Normalized Inference Network Keeps the KL Vanishing Away").
///
/// Each dimension of the means μ [B, Z] is standardized over the batch, scaled by a constant γ
/// and shifted by a learned β: μ̂ = γ·(μ − mean_B)/√(var_B + ε) + β. Across the data, every
/// dimension's mean then has variance γ², so its KL from N(0, 1) averages at least γ²/2 and no
/// dimension can collapse onto the prior. Evaluation and generation use running estimates of
/// the batch statistics (PyTorch's `BatchNorm1d` with momentum 0.1), saved with the model.
///
/// Checkpoint names follow `BatchNorm1d`: `bias` (β), `running_mean`, `running_var`; γ lives in
/// the model's configuration, since it is not trained.
public final class MeanBatchNorm: Module {
    /// γ, fixed.
    public let scale: Float
    /// β [Z], learned.
    public let shift: Tensor
    /// The running means [Z] of the batch means; not trained.
    public let runningMean: Tensor
    /// The running unbiased variances [Z]; not trained.
    public let runningVariance: Tensor

    /// The weight of each new batch in the running statistics.
    public static let momentum: Float = 0.1
    /// Added to every variance before its square root.
    public static let epsilon: Float = 1e-5

    /// Normalizes `size` dimensions to scale `scale`, with β = 0 and running statistics N(0, 1).
    public init(size: Int, scale: Float) {
        self.scale = scale
        shift = Tensor.zeros([size], requiresGrad: true)
        runningMean = Tensor.zeros([size])
        runningVariance = Tensor.ones([size])
    }

    /// Normalizes `means` [B, Z]: with the batch's own statistics when `training` and the batch
    /// has two rows or more (then also updating the running ones), else with the running ones.
    public func callAsFunction(_ means: Tensor, training: Bool) -> Tensor {
        let rows = means.shape[0]
        guard training && rows > 1 else {
            return (means - runningMean) / (runningVariance + Self.epsilon).sqrt() * scale + shift
        }
        let mean = means.mean(axis: 0)
        let centered = means - mean
        let variance = (centered * centered).mean(axis: 0)
        updateRunningStatistics(mean: mean, variance: variance, rows: rows)
        return centered / (variance + Self.epsilon).sqrt() * scale + shift
    }

    /// running ← (1 − momentum)·running + momentum·batch, with the batch variance made unbiased.
    private func updateRunningStatistics(mean: Tensor, variance: Tensor, rows: Int) {
        let momentum = Self.momentum, correction = Float(rows) / Float(rows - 1)
        let batchMean = mean.toArray(), batchVariance = variance.toArray()
        let runningMean = runningMean.data, runningVariance = runningVariance.data
        for d in 0..<batchMean.count {
            runningMean[d] += momentum * (batchMean[d] - runningMean[d])
            runningVariance[d] += momentum * (batchVariance[d] * correction - runningVariance[d])
        }
    }

    public func namedParameters() -> [(name: String, tensor: Tensor)] {
        [("bias", shift), (Self.runningStatisticNames[0], runningMean), (Self.runningStatisticNames[1], runningVariance)]
    }

    /// The checkpoint names of the running mean and variance.
    static let runningStatisticNames = ["running_mean", "running_var"]

    /// Whether the checkpoint name `name` is a running statistic: saved with a model's
    /// parameters, but not trained.
    public static func isRunningStatistic(_ name: String) -> Bool {
        runningStatisticNames.contains(String(name.split(separator: ".").last ?? ""))
    }
}
