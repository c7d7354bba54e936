import ArgumentParser
import Foundation
import QuillModels
import QuillTensor
import QuillTraining

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluates a model on a corpus and prints its figures.",
        discussion: """
            Language models report nats and bits per token (per character for char-rnn) and \
            perplexity. Sentence VAEs report the ELBO, reconstruction, KL (per level for an HVAE), \
            the importance-weighted NLL bound, mutual information and active units. A GPT on a \
            poetry corpus (a poem per line, punctuated with ， and 。) also reports the share of \
            generated poems whose clauses all have 5 or all have 7 characters. Every model with a \
            vocabulary reports unknown_share, the share of the text's tokens that are <unk>, and warns \
            above 10%.

            Sentence VAEs also decode each sentence's posterior mean (by beam search, or greedily with \
            --decode greedy) and report the exact reconstruction rate, token accuracy and \
            reconstruction_bleu (sacreBLEU's corpus BLEU-4). With --pairs, each pair is interpolated \
            as `quill interpolate` does, and endpoint_exact, distinct_steps, monotone_share and pairs \
            are reported; with --reference, also fluent_share: the share of intermediate sentences \
            whose NLL per token under that language model is at most the 90th percentile of the \
            corpus sentences'.
            """)

    @Argument(help: "The model file (.safetensors) written by `quill train`.")
    var model: String

    @Option(help: "The UTF-8 text file to evaluate on (one sentence per line for sentence models).")
    var corpus: String

    @Option(help: "Importance samples per sentence for a VAE's NLL bound (default 500); generated poems for a GPT's format check (default 100).")
    var samples: Int?

    @Option(help: "Sampling temperature of a GPT's format check on a poetry corpus (default 0.8). Must be positive.")
    var temperature: Float?

    @Flag(help: "Print one JSON object with the figures named in full.")
    var json = false

    @Option(help: "How a sentence VAE decodes reconstructions and interpolation points (default beam).")
    var decode: EvalDecoding?

    @Option(help: "A file of sentence pairs, two sentences a line separated by a tab, for a sentence VAE's interpolation figures.")
    var pairs: String?

    @Option(help: "Steps between the two sentences of each pair; each path has steps + 1 points.")
    var steps = 9

    @Flag(help: "Interpolate along the great circle (spherical interpolation) instead of the straight line.")
    var slerp = false

    @Option(help: "A language model (lm or gpt) that judges the fluency of interpolated sentences; needs --pairs.")
    var reference: String?

    @Option(help: "Threads for kernels and BLAS (default: all cores).")
    var threads: Int?

    func validate() throws {
        try requireSizes(["--samples": samples, "--steps": steps])
        if pairs == nil && (reference != nil || slerp) {
            throw ValidationError("--reference and --slerp apply to interpolations; give the pairs with --pairs FILE.")
        }
        try requireFinite(["--temperature": temperature.map(Double.init)])
        if let temperature, !(temperature > 0) {
            throw ValidationError("--temperature must be greater than 0, got \(temperature).")
        }
    }

    func run() throws {
        try runReportingErrors {
            if let threads { Threads.count = threads }
            let loaded = try loadModel(at: model)
            let vae = loaded.evaluator as? any LatentSentenceModel
            if vae == nil, decode != nil || pairs != nil {
                throw ModelFileError.wrongKind(model, found: loaded.kind, expected: [.vae, .hvae], purpose: "--decode or --pairs")
            }
            // Read the pairs and the reference before the long evaluation, so a bad file fails at once.
            let sentencePairs = try pairs.map(SentencePair.read(path:))
            let scorer = try reference.map(loadSentenceScorer)
            var figures = try loaded.evaluator.evaluate(
                corpusAt: corpus, options: CorpusEvaluationOptions(samples: samples, temperature: temperature, decoding: decode?.decoding),
                progress: EvalProgress(label: "eval").update)
            warnAboutUnknownTokens(figures["unknown_share"], in: corpus, consequence: "these figures say little about the text")
            if let vae, let sentencePairs {
                var options = InterpolationOptions()
                options.steps = steps
                options.spherical = slerp
                options.decoding = decode?.decoding ?? options.decoding
                let fluency = try scorer.map { try FluencyReference(scorer: $0, corpusAt: corpus) }
                figures.merge(try vae.interpolationFigures(pairs: sentencePairs, options: options, reference: fluency,
                                                           progress: EvalProgress(label: "interpolation").update)) { $1 }
            }
            if json {
                print(try jsonObject(figures))
            } else {
                for key in figures.keys.sorted() { print("\(key)\t\(formatFigure(figures[key]!))") }
            }
        }
    }
}

/// How `quill eval` decodes a sentence VAE's reconstructions and interpolations: no sampling,
/// so the figures repeat.
enum EvalDecoding: String, CaseIterable, ExpressibleByArgument {
    case beam, greedy

    /// The decoding as the models take it.
    var decoding: SamplingOptions.Decoding { self == .beam ? .beam : .greedy }
}

/// The language model at `path` as a sentence scorer, or an error naming the kinds that score.
private func loadSentenceScorer(_ path: String) throws -> any SentenceScorer {
    let loaded = try loadModel(at: path)
    guard let scorer = loaded.evaluator as? any SentenceScorer else {
        throw ModelFileError.wrongKind(path, found: loaded.kind, expected: [.lm, .gpt], purpose: "--reference")
    }
    return scorer
}

/// Progress of a long measurement on stderr: a redrawn line on a terminal; in a log (a long
/// importance-sampled run), a line a minute.
private final class EvalProgress {
    private let label: String
    private let isTerminal = isatty(STDERR_FILENO) != 0
    private let start = Date()
    private var shownPercent = -1, lastLine = -Double.infinity

    init(label: String) { self.label = label }

    /// Shows `fraction` done, with the time spent and left; at 1 the line is cleared.
    func update(_ fraction: Double) {
        if fraction >= 1 {
            if isTerminal && shownPercent >= 0 { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
            return
        }
        let percent = Int(fraction * 100), elapsed = Date().timeIntervalSince(start)
        guard percent != shownPercent, isTerminal || elapsed - lastLine >= 60 else { return }
        shownPercent = percent
        lastLine = elapsed
        var line = "\(label) \(percent)%  \(formatDuration(elapsed))"
        if fraction > 0.01 { line += "  ETA \(formatDuration(elapsed * (1 - fraction) / fraction))" }
        FileHandle.standardError.write(Data((isTerminal ? "\r\u{1B}[K" + line : line + "\n").utf8))
    }
}

/// One JSON object with sorted keys; whole numbers print without a fraction.
func jsonObject(_ figures: [String: Double]) throws -> String {
    let parts = figures.keys.sorted().map { key in "\"\(key)\": \(formatFigure(figures[key]!, json: true))" }
    return "{" + parts.joined(separator: ", ") + "}"
}

/// A figure as text: integers plainly, others with up to six significant decimals.
func formatFigure(_ value: Double, json: Bool = false) -> String {
    if !value.isFinite { return json ? "null" : "\(value)" }
    if value == value.rounded() && abs(value) < 1e15 { return String(Int(value)) }
    return String(format: "%.6g", value)
}
