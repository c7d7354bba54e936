import Foundation
import QuillTensor

/// One model's side of training: the step, the evaluation and the checkpoint.
///
/// ``Trainer`` owns the loop around it (limits, logging, progress, best and last checkpoints,
/// Ctrl-C, NaN), so every model kind trains with the same behaviour.
public protocol TrainingTask: AnyObject {
    /// Runs one optimizer step and returns its mean loss and the tokens it consumed. `elapsed`
    /// is the run's training time so far in seconds, across resumes, for a learning rate that
    /// decays over a time budget.
    ///
    /// When the loss is not finite the task must return it without updating any parameter,
    /// so the weights in memory and on disk stay the last good ones.
    func trainStep(step: Int, elapsed: Double) throws -> StepResult
    /// Evaluates on the validation data. The result must contain `val_loss`, which selects the
    /// best checkpoint; other entries (a VAE's `kl`, `active_units`…) are logged too.
    func evaluate() throws -> [String: Double]
    /// Writes a checkpoint with everything needed to sample, evaluate and resume.
    func saveCheckpoint(to path: String, progress: TrainingProgress) throws
    /// A digest of the validation data, the same wherever the same data is read, so a resumed
    /// run knows when its validation losses cannot be compared with the best so far; nil if
    /// the task cannot tell.
    var validationDigest: String? { get }
}

extension TrainingTask {
    public var validationDigest: String? { nil }
}

/// What one training step did.
public struct StepResult {
    /// The mean training loss of the step.
    public var loss: Double
    /// The tokens the step trained on.
    public var tokens: Int
    /// Extra figures to log with the step (a VAE's KL weight…).
    public var extra: [String: Double]
    /// A line for the user's progress log, for an event such as the end of a training phase.
    public var message: String?

    /// Creates a step result.
    public init(loss: Double, tokens: Int, extra: [String: Double] = [:], message: String? = nil) {
        self.loss = loss
        self.tokens = tokens
        self.extra = extra
        self.message = message
    }
}

/// Where a run stands; saved in every checkpoint so `--resume` continues from it.
public struct TrainingProgress: Codable, Equatable, Sendable {
    /// Optimizer steps taken.
    public var step = 0
    /// Training wall time so far, across resumes.
    public var elapsedSeconds = 0.0
    /// Tokens trained on so far.
    public var tokensSeen = 0
    /// The best validation loss so far, and its step.
    public var bestValidationLoss: Double?
    public var bestStep: Int?
    /// The arguments of the `quill` command that began the run (after `quill`), kept across
    /// resumes; nil for a run begun through the library or before Quill recorded it.
    public var command: [String]?
    /// The task's `validationDigest` as the run last trained: the data its evaluations, and so
    /// `bestValidationLoss`, were measured on.
    public var validationDigest: String?

    /// A run that has not started.
    public init() {}
}

/// When training stops and how often it evaluates and logs.
public struct TrainingLimits: Sendable {
    /// Stop after this many optimizer steps in total (nil: only the time budget bounds the run).
    public var steps: Int?
    /// Stop once the run has trained this long in all, across resumes, in seconds (as `steps`
    /// counts every step of the run).
    public var timeBudget: Double?
    /// Evaluate and save every this many steps.
    public var evaluationInterval: Int
    /// Append a metrics record every this many steps.
    public var logInterval: Int

    /// Creates limits.
    public init(steps: Int?, timeBudget: Double?, evaluationInterval: Int, logInterval: Int = 10) {
        self.steps = steps
        self.timeBudget = timeBudget
        self.evaluationInterval = max(1, evaluationInterval)
        self.logInterval = max(1, logInterval)
    }
}

/// How a run ended.
public struct TrainingSummary: Sendable {
    public enum Reason: String, Sendable { case steps, time, interrupted }
    /// Why training stopped.
    public var reason: Reason
    /// The progress at the end.
    public var progress: TrainingProgress
    /// The last evaluation's figures.
    public var lastEvaluation: [String: Double]
}

/// Paths of a run's files, all derived from `--output`.
public struct RunFiles: Sendable {
    /// The best checkpoint by validation loss: the file to sample from and share.
    public var best: String
    /// The most recent checkpoint, which `--resume` continues from.
    public var last: String
    /// The JSONL metrics log.
    public var metrics: URL

    /// The files for a run whose best model goes to `output`.
    public init(output: String) {
        best = output
        var stem = output
        if stem.hasSuffix(".safetensors") { stem.removeLast(".safetensors".count) }
        last = stem + ".last.safetensors"
        metrics = MetricsLog.url(forModelAt: output)
    }
}

/// The training loop shared by every model kind.
public final class Trainer {
    private let task: TrainingTask
    private let limits: TrainingLimits
    private let files: RunFiles
    private let metrics: MetricsLog
    private let reporter: ProgressReporter
    /// The run's state; starts from a checkpoint's when resuming.
    public private(set) var progress: TrainingProgress

    /// Creates a trainer. `progress` is a resumed run's state, or a fresh one.
    public init(task: TrainingTask, limits: TrainingLimits, files: RunFiles, progress: TrainingProgress,
                label: String) throws {
        self.task = task
        self.limits = limits
        self.files = files
        self.progress = progress
        self.reporter = ProgressReporter(label: label)
        // A run stopped by a crash or kill -9 may have left a checkpoint half written, beside
        // the whole one, and logged past its last checkpoint.
        for path in [files.best, files.last] {
            for removed in SafeTensors.removeAbandonedTemporaryFiles(of: path) {
                reporter.note("note: removed \(removed), a checkpoint left half written when its run stopped.")
            }
        }
        if progress.step > 0 {
            for note in try MetricsLog.recover(files.metrics, resumingAt: progress.step) { reporter.note(note) }
        }
        self.metrics = try MetricsLog(url: files.metrics, fresh: progress.step == 0)
    }

    /// Trains until the step limit, the time budget or Ctrl-C, evaluating and saving on the way.
    public func run() throws -> TrainingSummary {
        Interrupt.install(stoppingOnTermination: true)
        Interrupt.reset()
        defer { metrics.discardUncommitted() }
        let start = Date()
        let elapsedBefore = progress.elapsedSeconds
        var windowLoss = 0.0, windowSteps = 0, windowTokens = 0
        var windowStart = Date()
        var lastValidation: Double? = progress.bestValidationLoss
        var lastEvaluation: [String: Double] = [:]
        var reason = TrainingSummary.Reason.steps
        // A fresh run has saved nothing yet, whatever an earlier run left at --output.
        var savedAny = progress.step > 0 && FileManager.default.fileExists(atPath: files.last)
        let firstStep = progress.step
        var rate = 0.0
        var lastTrainLoss = Double.nan
        // A run resumed on other validation text cannot compare its losses with the best so
        // far: its first evaluation is the new best.
        var bestIsComparable = true
        if let digest = task.validationDigest {
            if progress.step > 0, let earlier = progress.validationDigest, earlier != digest,
               let bestLoss = progress.bestValidationLoss {
                bestIsComparable = false
                reporter.note("""
                    note: the validation text is not the one the best model so far was chosen on (val loss \
                    \(format(bestLoss, 4)) at step \(progress.bestStep ?? 0)), so the losses do not compare: the \
                    best is chosen afresh, and the next evaluation replaces \(files.best).
                    """)
            }
            progress.validationDigest = digest
        }

        /// The run's training time, across resumes: what the time budget and the schedules count.
        func trainingTime() -> Double { elapsedBefore + Date().timeIntervalSince(start) }

        func evaluateAndSave() throws {
            progress.elapsedSeconds = trainingTime()
            let figures = try task.evaluate()
            lastEvaluation = figures
            let validation = figures["val_loss"] ?? .infinity
            lastValidation = validation
            var record = figures
            record["step"] = Double(progress.step)
            record["elapsed_s"] = progress.elapsedSeconds
            try metrics.append(record)
            if validation.isFinite, !bestIsComparable || validation < (progress.bestValidationLoss ?? .infinity) {
                bestIsComparable = true
                progress.bestValidationLoss = validation
                progress.bestStep = progress.step
                try task.saveCheckpoint(to: files.best, progress: progress)
            } else if !FileManager.default.fileExists(atPath: files.best) {
                try task.saveCheckpoint(to: files.best, progress: progress)
            }
            try task.saveCheckpoint(to: files.last, progress: progress)
            try metrics.commit()
            savedAny = true
        }

        while true {
            if let steps = limits.steps, progress.step >= steps { reason = .steps; break }
            if let budget = limits.timeBudget, trainingTime() >= budget { reason = .time; break }
            if Interrupt.isRequested { reason = .interrupted; break }

            let result = try task.trainStep(step: progress.step, elapsed: trainingTime())
            guard result.loss.isFinite else {
                reporter.finish("")
                throw TrainingError.nonFiniteLoss(step: progress.step + 1, lastGood: savedAny ? files.last : nil)
            }
            progress.step += 1
            progress.tokensSeen += result.tokens
            if let message = result.message { reporter.note(message) }
            windowLoss += result.loss
            windowSteps += 1
            windowTokens += result.tokens

            let now = Date()
            let windowTime = now.timeIntervalSince(windowStart)
            if windowTime > 0 { rate = Double(windowTokens) / windowTime }
            reporter.update(step: progress.step, totalSteps: limits.steps, elapsed: trainingTime(),
                            budget: limits.timeBudget, trainLoss: windowLoss / Double(windowSteps),
                            validationLoss: lastValidation, tokensPerSecond: rate)
            if progress.step % limits.logInterval == 0 {
                var record = result.extra
                record["step"] = Double(progress.step)
                record["elapsed_s"] = trainingTime()
                record["train_loss"] = windowLoss / Double(windowSteps)
                record["tokens_per_s"] = rate
                record.merge(Self.memoryFigures()) { $1 }
                try metrics.append(record)
                lastTrainLoss = windowLoss / Double(windowSteps)
                windowLoss = 0; windowSteps = 0; windowTokens = 0; windowStart = now
            }
            if progress.step % limits.evaluationInterval == 0 { try evaluateAndSave() }
        }
        // Read after the final evaluation below, which can set a new best.
        var best: String { "Best val loss \(format(progress.bestValidationLoss ?? .nan, 4)) at step \(progress.bestStep ?? 0)" }
        // A resumed run that was already over (or stopped before its first step) leaves its
        // checkpoints and log as they were, rather than evaluating and saving them again.
        if progress.step == firstStep && savedAny {
            let why = switch reason {
            case .steps: "the run had already finished its \(progress.step) steps"
            case .time: "the run had already used its --time budget, at step \(progress.step)"
            case .interrupted: "interrupted before its first step"
            }
            reporter.finish("Nothing trained: \(why). \(best); \(files.best) and \(files.last) are unchanged.")
            return TrainingSummary(reason: reason, progress: progress, lastEvaluation: lastEvaluation)
        }
        if progress.step % limits.evaluationInterval != 0 || !savedAny { try evaluateAndSave() }
        progress.elapsedSeconds = trainingTime()
        if windowSteps > 0 { lastTrainLoss = windowLoss / Double(windowSteps) }
        reporter.update(step: progress.step, totalSteps: limits.steps, elapsed: trainingTime(),
                        budget: limits.timeBudget, trainLoss: lastTrainLoss,
                        validationLoss: lastValidation, tokensPerSecond: rate, force: true)
        let how = switch reason {
        case .steps: "finished \(progress.step) steps"
        case .time: "time budget reached after \(progress.step) steps"
        case .interrupted: "interrupted at step \(progress.step); checkpoint saved (continue with --resume)"
        }
        let peak = ProcessMemory.mebibytes(ProcessMemory.peakResidentBytes)
        reporter.finish("\(how). \(best); saved \(files.best) (best) and \(files.last) (last). Peak RSS \(Int(peak.rounded())) MB.")
        return TrainingSummary(reason: reason, progress: progress, lastEvaluation: lastEvaluation)
    }

    /// What the metrics log records of memory at each logged step, in MiB: the resident memory
    /// now and at its peak, and the tensor pool's bytes, in use or cached, and cached alone.
    static func memoryFigures() -> [String: Double] {
        var figures = [
            "peak_rss_mb": ProcessMemory.mebibytes(ProcessMemory.peakResidentBytes),
            "pool_mb": ProcessMemory.mebibytes(BufferPool.shared.allocatedByteCount),
            "pool_cached_mb": ProcessMemory.mebibytes(BufferPool.shared.cachedByteCount),
        ]
        if let resident = ProcessMemory.residentBytes { figures["rss_mb"] = ProcessMemory.mebibytes(resident) }
        return figures
    }
}
