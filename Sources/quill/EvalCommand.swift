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

    @Option(help: "Threads for kernels and BLAS (default: all cores).")
    var threads: Int?

    func validate() throws {
        try requireSizes(["--samples": samples])
        try requireFinite(["--temperature": temperature.map(Double.init)])
        if let temperature, !(temperature > 0) {
            throw ValidationError("--temperature must be greater than 0, got \(temperature).")
        }
    }

    func run() throws {
        try runReportingErrors {
            if let threads { Threads.count = threads }
            let loaded = try loadModel(at: model)
            let isTerminal = isatty(STDERR_FILENO) != 0
            let start = Date()
            var shownPercent = -1, lastLine = -Double.infinity
            let figures = try loaded.evaluator.evaluate(corpusAt: corpus, options: CorpusEvaluationOptions(samples: samples, temperature: temperature)) { fraction in
                // A redrawn line on a terminal; in a log (a long importance-sampled run), a line a minute.
                let percent = Int(fraction * 100), elapsed = Date().timeIntervalSince(start)
                guard percent != shownPercent, fraction < 1, isTerminal || elapsed - lastLine >= 60 else { return }
                shownPercent = percent
                lastLine = elapsed
                var line = "eval \(percent)%  \(formatDuration(elapsed))"
                if fraction > 0.01 { line += "  ETA \(formatDuration(elapsed * (1 - fraction) / fraction))" }
                FileHandle.standardError.write(Data((isTerminal ? "\r\u{1B}[K" + line : line + "\n").utf8))
            }
            if isTerminal { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
            warnAboutUnknownTokens(figures["unknown_share"], in: corpus, consequence: "these figures say little about the text")
            if json {
                print(try jsonObject(figures))
            } else {
                for key in figures.keys.sorted() { print("\(key)\t\(formatFigure(figures[key]!))") }
            }
        }
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
