#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The weight w(t) ∈ [0, 1] of the KL term at training step t, which lets the decoder learn to
/// use z before the KL pushes the posterior onto the prior (Bowman et al. 2016).
public struct KLAnnealing: Codable, Equatable, Sendable {
    /// The shape of the schedule (`--kl-anneal`).
    public enum Schedule: String, Codable, CaseIterable, Sendable {
        /// The full weight from the first step.
        case none
        /// From `start` up to 1 in a straight line over `steps` steps, then 1.
        case linear
        /// Bowman et al.'s sigmoid 1 / (1 + e^(−k(t − t₀))), centred at t₀ = steps/2 with
        /// k = 10/steps, so it rises from about 0.007 to 0.993 across `steps`.
        case logistic
        /// Fu et al. (2019): `cycles` cycles of `steps` steps, each rising linearly from 0 to 1
        /// over its first `ratio` and holding 1 for the rest; then 1 for good.
        case cyclical
    }

    /// The schedule's shape.
    public var schedule: Schedule
    /// The length of the ramp (linear, logistic) or of one cycle (cyclical), in steps.
    public var steps: Int
    /// The linear schedule's weight at step 0.
    public var start: Double
    /// The number of cycles of the cyclical schedule.
    public var cycles: Int
    /// The share of each cycle spent rising (Fu et al.'s R).
    public var ratio: Double

    /// Creates a schedule; the defaults follow Fu et al.'s recommended cyclical settings (R = 0.5).
    public init(schedule: Schedule, steps: Int = 10_000, start: Double = 0, cycles: Int = 4, ratio: Double = 0.5) {
        self.schedule = schedule
        self.steps = max(1, steps)
        self.start = start
        self.cycles = max(1, cycles)
        self.ratio = ratio
    }

    /// The KL weight at training step `step` (0 for the first).
    public func weight(atStep step: Int) -> Double {
        let t = Double(step), span = Double(steps)
        switch schedule {
        case .none:
            return 1
        case .linear:
            return min(1, start + (1 - start) * t / span)
        case .logistic:
            return 1 / (1 + exp(-(10 / span) * (t - span / 2)))
        case .cyclical:
            guard step < steps * cycles else { return 1 }
            let phase = Double(step % steps) / span
            return ratio <= 0 ? 1 : min(1, phase / ratio)
        }
    }
}
