#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A learning rate as a function of the training step; the training loop sets
/// `optimizer.learningRate = schedule.rate(atStep: step)` before each step.
public protocol LearningRateSchedule: Sendable {
    /// The rate for zero-based training step `step`.
    func rate(atStep step: Int) -> Float
}

/// The same rate at every step.
public struct ConstantRate: LearningRateSchedule, Codable, Equatable {
    /// The rate.
    public var rate: Float

    /// Creates a schedule that always returns `rate`.
    public init(rate: Float) { self.rate = rate }

    /// Returns ``rate``.
    public func rate(atStep step: Int) -> Float { rate }
}

/// Linear warmup to `maxRate`, then cosine decay to `minRate`, then `minRate`: nanoGPT's `get_lr`.
///
/// Step `s < warmupSteps` gets `maxRate·(s + 1)/(warmupSteps + 1)`; steps in
/// `warmupSteps...decaySteps` follow half a cosine from `maxRate` down to `minRate`; later steps
/// get `minRate`.
public struct WarmupCosineDecay: LearningRateSchedule, Codable, Equatable {
    /// The rate at the end of warmup.
    public var maxRate: Float
    /// The rate from `decaySteps` on.
    public var minRate: Float
    /// The number of warmup steps.
    public var warmupSteps: Int
    /// The step at which the decay reaches `minRate` (nanoGPT's `lr_decay_iters`), at least `warmupSteps`.
    public var decaySteps: Int

    /// Creates a warmup-then-cosine schedule.
    public init(maxRate: Float, minRate: Float, warmupSteps: Int, decaySteps: Int) {
        precondition(warmupSteps >= 0 && decaySteps >= warmupSteps,
                     "WarmupCosineDecay needs 0 <= warmupSteps <= decaySteps, got \(warmupSteps), \(decaySteps)")
        self.maxRate = maxRate
        self.minRate = minRate
        self.warmupSteps = warmupSteps
        self.decaySteps = decaySteps
    }

    /// The rate for zero-based training step `step`.
    public func rate(atStep step: Int) -> Float {
        if step < warmupSteps { return Float(Double(maxRate) * Double(step + 1) / Double(warmupSteps + 1)) }
        // nanoGPT divides by zero when decaySteps == warmupSteps; the decay is then empty.
        if step > decaySteps || decaySteps == warmupSteps { return minRate }
        return rate(atDecayFraction: Double(step - warmupSteps) / Double(decaySteps - warmupSteps))
    }

    /// The rate for `step` of a run whose decay is measured in training time, not steps:
    /// warmup by step as ``rate(atStep:)``, then the cosine at `fraction` of the decay's
    /// duration (clamped to 0...1), so a run bounded only by a time budget ends annealed
    /// however fast the machine is. `decaySteps` plays no part.
    public func rate(atStep step: Int, decayFraction fraction: Double) -> Float {
        if step < warmupSteps { return rate(atStep: step) }
        return rate(atDecayFraction: min(1, max(0, fraction)))
    }

    /// Half a cosine from `maxRate` (at 0) to `minRate` (at 1).
    private func rate(atDecayFraction fraction: Double) -> Float {
        let coefficient = 0.5 * (1 + cos(Double.pi * fraction))
        return Float(Double(minRate) + coefficient * (Double(maxRate) - Double(minRate)))
    }

    /// Decodes a schedule, rejecting negative warmup or a decay that ends before warmup does.
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        maxRate = try container.decode(Float.self, forKey: .maxRate)
        minRate = try container.decode(Float.self, forKey: .minRate)
        warmupSteps = try container.decode(Int.self, forKey: .warmupSteps)
        decaySteps = try container.decode(Int.self, forKey: .decaySteps)
        guard warmupSteps >= 0, decaySteps >= warmupSteps else {
            throw DecodingError.dataCorruptedError(forKey: .decaySteps, in: container, debugDescription:
                "a warmup-cosine schedule needs 0 <= warmupSteps <= decaySteps, got \(warmupSteps) and \(decaySteps)")
        }
    }
}

/// The rate multiplied by `factor` every `interval` steps, as `torch.optim.lr_scheduler.StepLR`.
public struct StepDecay: LearningRateSchedule, Codable, Equatable {
    /// The rate for steps `0..<interval`.
    public var initialRate: Float
    /// The number of steps between decays (PyTorch's `step_size`).
    public var interval: Int
    /// The multiplier applied at each decay (PyTorch's `gamma`).
    public var factor: Float

    /// Creates a step-decay schedule.
    public init(initialRate: Float, interval: Int, factor: Float) {
        precondition(interval > 0, "StepDecay needs interval > 0, got \(interval)")
        self.initialRate = initialRate
        self.interval = interval
        self.factor = factor
    }

    /// Returns `initialRate · factor^(step / interval)`.
    public func rate(atStep step: Int) -> Float {
        Float(Double(initialRate) * pow(Double(factor), Double(max(step, 0) / interval)))
    }

    /// Decodes a schedule, rejecting an interval below 1.
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        initialRate = try container.decode(Float.self, forKey: .initialRate)
        interval = try container.decode(Int.self, forKey: .interval)
        factor = try container.decode(Float.self, forKey: .factor)
        guard interval > 0 else {
            throw DecodingError.dataCorruptedError(forKey: .interval, in: container, debugDescription:
                "a step-decay schedule needs interval > 0, got \(interval)")
        }
    }
}

/// Any of Quill's schedules, coded as JSON with a `kind` key beside the schedule's own fields,
/// e.g. `{"kind": "stepDecay", "initialRate": 0.1, "interval": 7, "factor": 0.5}`.
public enum LearningRateScheduleConfiguration: LearningRateSchedule, Codable, Equatable {
    /// A ``ConstantRate``.
    case constant(ConstantRate)
    /// A ``WarmupCosineDecay``.
    case warmupCosine(WarmupCosineDecay)
    /// A ``StepDecay``.
    case stepDecay(StepDecay)

    private enum CodingKeys: String, CodingKey { case kind }

    /// The rate the wrapped schedule gives for `step`.
    public func rate(atStep step: Int) -> Float {
        switch self {
        case .constant(let schedule): schedule.rate(atStep: step)
        case .warmupCosine(let schedule): schedule.rate(atStep: step)
        case .stepDecay(let schedule): schedule.rate(atStep: step)
        }
    }

    /// Decodes the schedule named by `kind`.
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let kind = try container.decode(String.self, forKey: .kind)
        switch kind {
        case "constant": self = .constant(try ConstantRate(from: decoder))
        case "warmupCosine": self = .warmupCosine(try WarmupCosineDecay(from: decoder))
        case "stepDecay": self = .stepDecay(try StepDecay(from: decoder))
        default:
            throw DecodingError.dataCorruptedError(forKey: .kind, in: container, debugDescription:
                "unknown schedule kind \"\(kind)\"; use constant, warmupCosine or stepDecay")
        }
    }

    /// Encodes `kind` and the schedule's fields side by side.
    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .constant(let schedule):
            try container.encode("constant", forKey: .kind)
            try schedule.encode(to: encoder)
        case .warmupCosine(let schedule):
            try container.encode("warmupCosine", forKey: .kind)
            try schedule.encode(to: encoder)
        case .stepDecay(let schedule):
            try container.encode("stepDecay", forKey: .kind)
            try schedule.encode(to: encoder)
        }
    }
}
