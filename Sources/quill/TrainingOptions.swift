import ArgumentParser
import Foundation
import QuillTraining

/// The options every `quill train` subcommand shares.
struct TrainingOptions: ParsableArguments {
    @Option(help: "The UTF-8 text file to train on.")
    var corpus: String

    @Option(help: "A validation file; without it the last --valid-fraction of the corpus validates.")
    var valid: String?

    @Option(help: "The share of the corpus held out for validation when no --valid file is given.")
    var validFraction: Double = 0.1

    @Option(help: "A vocabulary built with `quill vocab build`, or a model whose vocabulary to use; without it one is built from the corpus.")
    var vocab: String?

    @Option(help: "Where to write the best model (a .safetensors file).")
    var output: String

    @Option(help: "Stop after this many optimizer steps.")
    var steps: Int?

    @Option(help: "Stop after this many passes over the training data.")
    var epochs: Double?

    @Option(help: "Stop once the run has trained this long, such as 90s, 20m or 1h30m; like --steps, it counts the training before a --resume.")
    var time: String?

    @Option(help: "Evaluate on the validation data and save checkpoints every this many steps.")
    var evalInterval: Int?

    @Option(help: "Evaluate during training on a fixed sample of at most this many validation tokens (default 1000000; 0 reads them all), spread evenly over the split: runs of text for char-rnn, whole sentences for vae, hvae and lm. gpt reads --eval-batches batches instead. quill eval reads everything.")
    var evalTokens: Int?

    @Option(help: "The seed for initialization, data order and dropout.")
    var seed: UInt64 = 1337

    @Option(help: "Threads for kernels and BLAS (default: all cores).")
    var threads: Int?

    @Flag(help: "Continue the run whose last checkpoint sits beside --output.")
    var resume = false

    @Option(help: "Sequences per batch.")
    var batchSize: Int?

    @Option(help: "The peak learning rate.")
    var learningRate: Float?

    @Option(help: "Dropout probability.")
    var dropout: Float?

    @Option(help: "Clip gradients to this global norm (0 turns clipping off).")
    var gradClip: Float?

    func validate() throws {
        try requireFinite(["--epochs": epochs, "--valid-fraction": validFraction, "--learning-rate": learningRate.map(Double.init),
                           "--dropout": dropout.map(Double.init), "--grad-clip": gradClip.map(Double.init)])
        if let steps, steps <= 0 { throw ValidationError("--steps must be positive, got \(steps).") }
        if let epochs, epochs <= 0 { throw ValidationError("--epochs must be positive, got \(epochs).") }
        // Beyond this the step count would overflow; no run on one machine needs more.
        if let epochs, epochs > 1e6 { throw ValidationError("--epochs must be at most 1000000, got \(epochs).") }
        if steps != nil && epochs != nil { throw ValidationError("Give --steps or --epochs, not both.") }
        if let time {
            guard let seconds = TrainingDuration.seconds(in: time), seconds.isFinite else {
                throw ValidationError("--time \(time) is not a duration; use a form such as 90s, 20m or 1h30m.")
            }
            guard seconds > 0 else { throw ValidationError("--time must be longer than zero, got \(time).") }
        }
        if !(validFraction > 0 && validFraction < 1) {
            throw ValidationError("--valid-fraction must be between 0 and 1, got \(validFraction).")
        }
        if let evalInterval, evalInterval <= 0 { throw ValidationError("--eval-interval must be positive.") }
        if let evalTokens, evalTokens < 0 { throw ValidationError("--eval-tokens must be 0 (all) or more, got \(evalTokens).") }
        if let threads, threads <= 0 { throw ValidationError("--threads must be positive, got \(threads).") }
        try requireSizes(["--batch-size": batchSize])
        if let learningRate, !(learningRate > 0) {
            throw ValidationError("--learning-rate must be positive, got \(learningRate).")
        }
        if let dropout, !(dropout >= 0 && dropout < 1) {
            throw ValidationError("--dropout must be in [0, 1), got \(dropout).")
        }
        if let gradClip, gradClip < 0 { throw ValidationError("--grad-clip must be 0 or more, got \(gradClip).") }
        let inputs = [("--corpus", corpus), ("--valid", valid), ("--vocab", vocab)].compactMap { flag, path in
            path.map { (flag: flag, path: $0) }
        }
        let files = RunFiles(output: output)
        for written in [files.best, files.last, files.metrics.path] { try checkOutput(written, inputs: inputs) }
    }

    /// The most validation tokens an evaluation during training reads (nil: all): `--eval-tokens`,
    /// one million by default, where a full pass over a large split would take minutes each time.
    var evaluationTokenBudget: Int? {
        let tokens = evalTokens ?? 1_000_000
        return tokens == 0 ? nil : tokens
    }

    /// The time budget in seconds, if any.
    var timeBudget: Double? { time.flatMap { TrainingDuration(parsing: $0)?.seconds } }

    /// The flags every `train` subcommand reads when it resumes; the rest of a run's settings
    /// (sizes, optimizer, seed, vocabulary) come from its checkpoint.
    static let flagsReadOnResume: Set<String> = ["--corpus", "--valid", "--output", "--steps", "--epochs", "--time",
                                                 "--eval-interval", "--eval-tokens", "--threads", "--resume"]

    /// Says on stderr, in one line, which flags of `arguments` a resumed run does not read, so
    /// a changed size or rate is not dropped silently; `alsoRead` adds the subcommand's own
    /// flags that it does read. When the checkpoint recorded the command that began the run
    /// (`commandThatBegan`), a flag given as it was then is not named, and a changed one is
    /// named with its first value. A flag given twice counts once, with its last value, as the
    /// parser reads it.
    static func noteFlagsUnreadOnResume(alsoRead: Set<String> = [], commandThatBegan: [String]?,
                                        arguments: [String] = CommandLine.arguments) {
        let read = flagsReadOnResume.union(alsoRead)
        let first = commandThatBegan.map { lastValues(flagValues($0)) }
        let flags = flagValues(Array(arguments.dropFirst()))
        let given = lastValues(flags)
        var seen: Set<String> = []
        var unread: [String] = []
        for flag in flags.map(\.flag) where seen.insert(flag).inserted && !read.contains(flag) {
            func written(_ value: String?) -> String { value.map { "\(flag) \(shellWord($0))" } ?? flag }
            let value = given[flag] ?? nil
            guard let first else {
                unread.append(flag)
                continue
            }
            guard let earlier = first[flag] else {
                unread.append("\(written(value)) (the run began without it, so with its default)")
                continue
            }
            if !sameFlagValue(value, earlier) {
                unread.append("\(written(value)) (the run began with \(written(earlier)))")
            }
        }
        guard !unread.isEmpty else { return }
        FileHandle.standardError.write(Data("""
            quill: note: --resume continues with the checkpoint's settings, so it does not read \(unread.joined(separator: ", ")).

            """.utf8))
    }

    /// Each flag's last value, as the parser keeps it.
    private static func lastValues(_ flags: [(flag: String, value: String?)]) -> [String: String?] {
        Dictionary(flags.map { ($0.flag, $0.value) }, uniquingKeysWith: { _, last in last })
    }

    /// The flags of a `train` command line with their values (`--flag value`, `--flag=value`;
    /// nil for a flag followed by another flag or by nothing), up to a lone `--`. Words before
    /// the first flag (the subcommand) are skipped; no `train` subcommand takes an argument.
    static func flagValues(_ arguments: [String]) -> [(flag: String, value: String?)] {
        var flags: [(flag: String, value: String?)] = []
        var index = 0
        while index < arguments.count, arguments[index] != "--" {
            let argument = arguments[index]
            index += 1
            guard argument.hasPrefix("--") else { continue }
            if let equals = argument.firstIndex(of: "=") {
                flags.append((String(argument[..<equals]), String(argument[argument.index(after: equals)...])))
            } else if index < arguments.count, !arguments[index].hasPrefix("--") {
                flags.append((argument, arguments[index]))
                index += 1
            } else {
                flags.append((argument, nil))
            }
        }
        return flags
    }

    /// Whether two values of one flag are the same setting: equal text, or equal numbers
    /// (`2e-3` and `0.002`).
    private static func sameFlagValue(_ a: String?, _ b: String?) -> Bool {
        if a == b { return true }
        guard let a, let b, let x = Double(a), let y = Double(b) else { return false }
        return x == y
    }

    /// The progress a run's ``Trainer`` starts from: a resumed run's own (which keeps the
    /// command that began it); a fresh run's records this command line.
    func startingProgress(_ progress: TrainingProgress) -> TrainingProgress {
        guard !resume else { return progress }
        var started = progress
        started.command = Array(CommandLine.arguments.dropFirst())
        return started
    }
}

/// Throws a usage error naming the first of `options` that is infinite or NaN. No numeric option
/// of Quill means anything there, and a NaN slips past every `<` and `>` check that follows.
func requireFinite(_ options: KeyValuePairs<String, Double?>) throws {
    for case let (flag, value?) in options where !value.isFinite {
        throw ValidationError("\(flag) must be a finite number, got \(value).")
    }
}

/// The largest value a size flag (widths, lengths, counts of layers, heads or levels, the batch)
/// takes: far beyond any model one machine trains, and small enough that no product of sizes
/// the models form (4·hidden·(embedding + hidden), batch·length·vocabulary) overflows an `Int`
/// before the allocation that says it does not fit in memory.
let largestSize = 1 << 20

/// Throws unless every size given is between 1 and ``largestSize``.
func requireSizes(_ options: KeyValuePairs<String, Int?>) throws {
    for case let (flag, value?) in options where !(1...largestSize).contains(value) {
        throw ValidationError(value < 1 ? "\(flag) must be positive, got \(value)."
                                        : "\(flag) must be at most \(largestSize), got \(value).")
    }
}

/// What a training run's opening line says of a validation split that its evaluations sample:
/// nothing when they read all `total` tokens, else how many they read and how to read them all.
func sampleNote(read: Int, of total: Int, unit: String = "") -> String {
    guard read < total - total / 100 else { return "" }  // all of it, but for the stream ends
    let what = unit.isEmpty ? "" : " \(unit)"
    return "; each evaluation reads an even sample of \(read)\(what) (--eval-tokens; quill eval reads all)"
}
